/*
 * fown_pgrp: a unix socket that signals a process group (F_SETOWN_EX F_OWNER_PGRP).
 *
 * State: an AF_UNIX stream socketpair S0/S1, nothing queued; S0 has O_ASYNC and
 * F_SETOWN_EX {F_OWNER_PGRP, the test's process group} (the test leads its group), no
 * F_SETSIG; a SIGIO handler (SA_SIGINFO|SA_RESTART) counts signals.
 * Check after SIGTERM: F_GETOWN_EX of S0 is F_OWNER_PGRP with the test's pgrp (recorded,
 * and getpgrp() now), F_GETOWN gives minus that, F_GETSIG 0, F_GETFL has O_ASYNC; S1 has
 * no O_ASYNC and no owner; no SIGIO yet. Behaviour: a forked child, in the same group,
 * writes 4 bytes into S1; the signal goes to the whole group: the test gets SIGIO within
 * 5 s, and so does the child itself (it waits up to 5 s for its own, which a F_OWNER_PID
 * owner would not send it); the bytes read back from S0.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sigio(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	got++;
}

int main(int argc, char **argv)
{
	struct f_owner_ex own;
	struct sigaction sa;
	int s[2], fl, i, st;
	pid_t pgrp, child;
	char buf[8];

	zdtm_init(argc, argv);
	pgrp = getpgrp();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigio;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL))
		zdtm_fail("sigaction: %m");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s))
		zdtm_fail("socketpair: %m");
	own.type = F_OWNER_PGRP;
	own.pid = pgrp;
	if (fcntl(s[0], F_SETOWN_EX, &own) || fcntl(s[0], F_SETFL, fcntl(s[0], F_GETFL) | O_ASYNC))
		zdtm_fail("fcntl: %m");
	fl = fcntl(s[0], F_GETFL);
	zdtm_log("socket %d (owner pgrp %d), peer %d", s[0], pgrp, s[1]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(getpgrp() == pgrp, "process group %d, was %d", getpgrp(), pgrp);
	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(s[0], F_GETOWN_EX, &own) == 0, "F_GETOWN_EX: %m");
	zdtm_check(own.type == F_OWNER_PGRP && own.pid == pgrp, "owner type %d pid %d, expected F_OWNER_PGRP %d",
		   own.type, own.pid, pgrp);
	zdtm_check(fcntl(s[0], F_GETOWN) == -pgrp, "F_GETOWN %d, expected %d", fcntl(s[0], F_GETOWN), -pgrp);
	zdtm_check(fcntl(s[0], F_GETSIG) == 0, "F_GETSIG %d, expected 0", fcntl(s[0], F_GETSIG));
	zdtm_check(fcntl(s[0], F_GETFL) == fl && (fl & O_ASYNC), "flags %#x, expected %#x", fcntl(s[0], F_GETFL), fl);
	zdtm_check(!(fcntl(s[1], F_GETFL) & O_ASYNC) && fcntl(s[1], F_GETOWN) == 0, "peer has flags %#x, owner %d",
		   fcntl(s[1], F_GETFL), fcntl(s[1], F_GETOWN));
	zdtm_check(got == 0, "%d SIGIO before anything was sent", (int)got);

	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		got = 0;
		if (write(s[1], "wxyz", 4) != 4)
			_exit(2);
		for (i = 0; i < 500 && !got; i++)
			zdtm_sleep_ms(10);
		_exit(got ? 0 : 3);
	}
	while (waitpid(child, &st, 0) != child)
		if (errno != EINTR)
			zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) != 2, "the child could not write");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) != 3, "the child (same group) got no SIGIO");
	for (i = 0; i < 500 && !got; i++)
		zdtm_sleep_ms(10);
	zdtm_check(got > 0, "no SIGIO in the test after the write");
	zdtm_check(recv(s[0], buf, sizeof(buf), MSG_DONTWAIT) == 4 && !memcmp(buf, "wxyz", 4), "socket data differs");
	zdtm_finish();
}
