/*
 * tree_stopped_child: a child stopped by SIGSTOP, with a signal queued while stopped.
 *
 * State: a child C with SIGCONT and SIGUSR1 handlers (SA_SIGINFO, counting), a 64 KiB
 * pattern, waiting in pause(); the root stopped it with SIGSTOP (and consumed the stop
 * report with waitpid(WUNTRACED)), then sent it SIGUSR1, which stays pending while C is
 * stopped.
 * Check after SIGTERM: C is still in state T according to /proc and its SigPnd/ShdPnd still
 * holds SIGUSR1 (it has not run); no stop report is pending for the root (waitid WSTOPPED
 * finds nothing: it was consumed before the checkpoint). SIGCONT resumes it: waitpid
 * (WCONTINUED) reports it continued; sent SIGUSR2, C checks that each handler ran exactly once,
 * SIGUSR1 from the root's pid, its pattern, pid and ppid, and exits 42.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (64 << 10)
static volatile int n_cont, n_usr1, n_usr2;
static volatile pid_t usr1_from;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGCONT)
		n_cont++;
	if (sig == SIGUSR2)
		n_usr2++;
	if (sig == SIGUSR1) {
		n_usr1++;
		usr1_from = si->si_pid;
	}
}

/* State letter of /proc/PID/stat and the pending masks of /proc/PID/status. */
static int proc_look(pid_t pid, char *state, unsigned long long *pnd, unsigned long long *shd)
{
	char path[64], buf[4096], *p;
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!(p = strstr(buf, "\nState:")) || sscanf(p + 7, " %c", state) != 1)
		return -1;
	if (!(p = strstr(buf, "\nSigPnd:")) || sscanf(p + 8, "%llx", pnd) != 1)
		return -1;
	if (!(p = strstr(buf, "\nShdPnd:")) || sscanf(p + 8, "%llx", shd) != 1)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long usr1 = 1ULL << (SIGUSR1 - 1), pnd = 0, shd = 0;
	struct sigaction sa;
	siginfo_t si;
	pid_t c, me;
	char state = '?';
	int p[2], st = 0, i;

	zdtm_init(argc, argv);
	me = getpid();
	if (pipe(p))
		zdtm_fail("pipe: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		uint8_t *buf = xmalloc(LEN);
		pid_t cme = getpid();
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sig;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGCONT, &sa, NULL);
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		signal(SIGTERM, SIG_IGN);
		zdtm_fill(buf, LEN, 77);
		close(p[0]);
		if (write(p[1], "r", 1) != 1)
			_exit(3);
		close(p[1]);
		while (!n_usr2)	/* the root sends SIGUSR2 once it has seen us continue */
			pause();
		zdtm_check(n_cont == 1, "C: SIGCONT handler ran %d times", n_cont);
		zdtm_check(n_usr1 == 1, "C: SIGUSR1 handler ran %d times", n_usr1);
		zdtm_check(usr1_from == me, "C: SIGUSR1 came from %d, expected %d", usr1_from, me);
		zdtm_check(getpid() == cme && getppid() == me, "C: pid %d ppid %d, expected %d %d", getpid(),
			   getppid(), cme, me);
		zdtm_check(zdtm_verify(buf, LEN, 77) < 0, "C: memory pattern differs");
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		char b;
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);
	kill(c, SIGSTOP);
	if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		zdtm_fail("the child did not stop: status %#x", st);
	kill(c, SIGUSR1);
	for (i = 0; i < 100; i++) {
		if (proc_look(c, &state, &pnd, &shd) == 0 && state == 'T' && ((pnd | shd) & usr1))
			break;
		zdtm_sleep_ms(10);
	}
	if (i == 100)
		zdtm_fail("child state %c, pending %#llx/%#llx before the checkpoint", state, pnd, shd);
	zdtm_log("child %d stopped, SIGUSR1 pending", c);

	zdtm_ready();
	zdtm_wait_for_term();

	state = '?';
	pnd = shd = 0;
	zdtm_check(proc_look(c, &state, &pnd, &shd) == 0 && state == 'T',
		   "child %d: state %c, expected T (stopped)", c, state);
	zdtm_check((pnd | shd) == usr1, "child pending SigPnd %#llx ShdPnd %#llx, expected only SIGUSR1",
		   pnd, shd);
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PID, c, &si, WSTOPPED | WEXITED | WNOHANG) == 0 && si.si_pid == 0,
		   "a wait report is pending: si_code %d si_status %d", si.si_code, si.si_status);
	kill(c, SIGCONT);
	st = 0;
	zdtm_check(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "no continued report: %#x", st);
	kill(c, SIGUSR2);
	for (i = 0; i < 1000; i++) {
		if (waitpid(c, &st, WNOHANG) == c)
			break;
		zdtm_sleep_ms(10);
	}
	zdtm_check(i < 1000 && WIFEXITED(st) && WEXITSTATUS(st) == 42, "child ended with status %#x", st);
	zdtm_finish();
}
