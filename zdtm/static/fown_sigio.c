/*
 * fown_sigio: a pipe whose read end signals its owner (O_ASYNC, F_SETOWN, F_SETSIG).
 *
 * State: an empty pipe; the read end R has O_ASYNC|O_NONBLOCK, F_SETOWN(test's pid) and
 * F_SETSIG(SIGRTMIN+3); an SA_SIGINFO handler for SIGRTMIN+3 records each signal's
 * si_signo, si_code, si_fd and si_band.
 * Check after SIGTERM: F_GETOWN_EX of R is F_OWNER_PID with the test's pid (F_GETOWN the
 * pid too), F_GETSIG is SIGRTMIN+3, F_GETFL has O_ASYNC and O_NONBLOCK, the write end has
 * no O_ASYNC and no owner; no signal arrived yet (the pipe is empty). Behaviour: a forked
 * child writes 3 bytes into the pipe; within 5 s SIGRTMIN+3 arrives with si_fd = R,
 * si_code POLL_IN and POLLIN in si_band (every signal that came); the bytes read back.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, bad_fd, bad_code, bad_band, bad_signo;
static int rfd;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got++;
	if (si->si_signo != sig || sig != SIGRTMIN + 3)
		bad_signo = si->si_signo;
	if (si->si_fd != rfd)
		bad_fd = si->si_fd + 1000;
	if (si->si_code != POLL_IN)
		bad_code = si->si_code + 1000;
	if (!(si->si_band & POLLIN))
		bad_band = si->si_band + 1000;
}

int main(int argc, char **argv)
{
	struct f_owner_ex own;
	struct sigaction sa;
	int p[2], fl, i, st;
	pid_t me, child;
	char buf[8];

	zdtm_init(argc, argv);
	me = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGRTMIN + 3, &sa, NULL))
		zdtm_fail("sigaction: %m");
	if (pipe(p))
		zdtm_fail("pipe: %m");
	rfd = p[0];
	if (fcntl(p[0], F_SETOWN, me) || fcntl(p[0], F_SETSIG, SIGRTMIN + 3) ||
	    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC | O_NONBLOCK))
		zdtm_fail("fcntl: %m");
	fl = fcntl(p[0], F_GETFL);
	zdtm_log("read end %d, write end %d, signal %d", p[0], p[1], SIGRTMIN + 3);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&own, 0, sizeof(own));
	zdtm_check(fcntl(p[0], F_GETOWN_EX, &own) == 0, "F_GETOWN_EX: %m");
	zdtm_check(own.type == F_OWNER_PID && own.pid == me, "owner type %d pid %d, expected F_OWNER_PID %d",
		   own.type, own.pid, me);
	zdtm_check(fcntl(p[0], F_GETOWN) == me, "F_GETOWN %d, expected %d", fcntl(p[0], F_GETOWN), me);
	zdtm_check(fcntl(p[0], F_GETSIG) == SIGRTMIN + 3, "F_GETSIG %d, expected %d", fcntl(p[0], F_GETSIG), SIGRTMIN + 3);
	zdtm_check(fcntl(p[0], F_GETFL) == fl && (fl & O_ASYNC) && (fl & O_NONBLOCK), "read end flags %#x, expected %#x",
		   fcntl(p[0], F_GETFL), fl);
	zdtm_check(!(fcntl(p[1], F_GETFL) & O_ASYNC) && fcntl(p[1], F_GETOWN) == 0 && fcntl(p[1], F_GETSIG) == 0,
		   "write end has flags %#x, owner %d, signal %d", fcntl(p[1], F_GETFL), fcntl(p[1], F_GETOWN),
		   fcntl(p[1], F_GETSIG));
	zdtm_check(got == 0, "%d signals before anything was written", (int)got);
	zdtm_check(read(p[0], buf, 1) < 0 && errno == EAGAIN, "the pipe is not empty");

	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0)
		_exit(write(p[1], "abc", 3) == 3 ? 0 : 1);
	while (waitpid(child, &st, 0) != child)
		if (errno != EINTR)
			zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child could not write");
	for (i = 0; i < 500 && !got; i++)
		zdtm_sleep_ms(10);
	zdtm_check(got > 0, "no SIGRTMIN+3 after the write");
	zdtm_check(!bad_signo, "si_signo %d", (int)bad_signo);
	zdtm_check(!bad_fd, "si_fd %d, expected %d", (int)bad_fd - 1000, p[0]);
	zdtm_check(!bad_code, "si_code %d, expected POLL_IN", (int)bad_code - 1000);
	zdtm_check(!bad_band, "si_band %#x without POLLIN", (int)bad_band - 1000);
	zdtm_check(read(p[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "abc", 3), "pipe data differs");
	zdtm_finish();
}
