/*
 * pidfd_epoll_exit: pidfds in an epoll set, of a child and a grandchild that end after restore.
 *
 * State: the test R has child C, and C has child G. R holds pidfd PC of C and PG of G
 * (pidfd_open), both in epoll EP (EPOLLIN, data 0xc and 0x9).
 * Check after SIGTERM: fdinfo Pid of PC and PG names C and G; EP reports nothing, poll of
 * PC and PG not readable, waitid(P_PIDFD, WNOHANG) on PC gives no status. R tells C (shared
 * page): C kills G with SIGKILL, reaps it (status SIGKILL) and exits 33. EP then reports
 * 0x9 and 0xc; waitid(P_PIDFD, PC) gives CLD_EXITED 33 and C's pid; PG: waitid ECHILD (not
 * R's child), pidfd_send_signal ESRCH, fdinfo Pid -1.
 */
#include "kid_util.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

#ifndef P_PIDFD
#define P_PIDFD 3	/* <linux/wait.h>'s; glibc 2.31's <sys/wait.h> lacks it */
#endif

static int pidfd_pid(int fd)
{
	char path[64], buf[4096], *p;
	int pid = -2;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "\nPid:");
	if (p)
		sscanf(p + 5, "%d", &pid);
	return pid;
}

static int ready_mask(int ep, int ms)
{
	struct epoll_event e[4];
	int n = epoll_wait(ep, e, 4, ms), i, m = 0;
	for (i = 0; i < n; i++)
		if (e[i].events & EPOLLIN)
			m |= 1 << e[i].data.u32;
	return m;
}

int main(int argc, char **argv)
{
	volatile int *sh;
	int pc, pg, ep, m = 0;
	uint64_t t_end;
	struct epoll_event ev;
	struct pollfd pf[2];
	siginfo_t si;
	pid_t c, g;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int st;
		pid_t gg = fork();
		if (gg == 0) {
			for (;;)
				pause();
		}
		kid_set_word(&sh[1], gg);
		while (!kid_wait_word(&sh[0], 1, 1000000))
			;
		kill(gg, SIGKILL);
		if (waitpid(gg, &st, 0) != gg || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
			_exit(5);
		_exit(33);
	}
	if (!kid_wait_word(&sh[1], 1, 5000))
		zdtm_fail("no grandchild");
	g = sh[1];
	pc = syscall(SYS_pidfd_open, c, 0);
	pg = syscall(SYS_pidfd_open, g, 0);
	ep = epoll_create1(0);
	if (pc < 0 || pg < 0 || ep < 0)
		zdtm_fail("pidfd_open/epoll: %m");
	ev.events = EPOLLIN;
	ev.data.u64 = 0xc;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, pc, &ev))
		zdtm_fail("epoll_ctl: %m");
	ev.data.u64 = 0x9;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, pg, &ev))
		zdtm_fail("epoll_ctl: %m");
	zdtm_log("C %d G %d, pidfds %d %d", (int)c, (int)g, pc, pg);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(pidfd_pid(pc) == c, "PC names pid %d, expected %d", pidfd_pid(pc), (int)c);
	zdtm_check(pidfd_pid(pg) == g, "PG names pid %d, expected %d", pidfd_pid(pg), (int)g);
	zdtm_check((m = ready_mask(ep, 0)) == 0, "epoll reports %#x while both live", m);
	pf[0] = (struct pollfd){ pc, POLLIN, 0 };
	pf[1] = (struct pollfd){ pg, POLLIN, 0 };
	zdtm_check(poll(pf, 2, 0) == 0, "poll: PC %#x PG %#x while both live", pf[0].revents, pf[1].revents);
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PIDFD, pc, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0, "waitid WNOHANG on PC: pid %d", si.si_pid);
	kid_set_word(&sh[0], 1);
	/* Level-triggered: once PG is ready every epoll_wait returns at once, so wait by the clock. */
	for (t_end = zdtm_now_ns() + 5000000000ull; m != ((1 << 0xc) | (1 << 0x9)) && zdtm_now_ns() < t_end;)
		m |= ready_mask(ep, 100);
	if (!zdtm_check(m == ((1 << 0xc) | (1 << 0x9)), "epoll reported %#x after the exits, expected PC and PG", m)) {
		char fi[1024];
		char path[64];
		pf[0] = (struct pollfd){ pc, POLLIN, 0 };
		pf[1] = (struct pollfd){ pg, POLLIN, 0 };
		poll(pf, 2, 0);
		zdtm_log("poll now: PC %#x PG %#x", pf[0].revents, pf[1].revents);
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
		zdtm_read_file(path, fi, sizeof(fi));
		zdtm_log("epoll fdinfo: %s", fi);
	}
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PIDFD, pc, &si, WEXITED) == 0 && si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 33,
		   "waitid on PC: pid %d code %d status %d, expected %d CLD_EXITED 33", si.si_pid, si.si_code, si.si_status, (int)c);
	errno = 0;
	zdtm_check(waitid(P_PIDFD, pg, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD, "waitid on PG: %m, expected ECHILD");
	errno = 0;
	zdtm_check(syscall(SYS_pidfd_send_signal, pg, 0, NULL, 0) < 0 && errno == ESRCH, "pidfd_send_signal to G: %m, expected ESRCH");
	zdtm_check(pidfd_pid(pg) == -1, "PG names pid %d after G was reaped, expected -1", pidfd_pid(pg));
	zdtm_finish();
}
