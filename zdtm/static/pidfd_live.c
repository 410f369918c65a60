/*
 * pidfd_live: pidfds of children in the tree, one alive and one a zombie; after restore they
 * must still name those children.
 *
 * State: child C waits for SIGTERM and then exits 42; child Z exited 7 at once and is not
 * reaped (a zombie). P = pidfd_open(C, 0), P2 = pidfd_open(C, PIDFD_NONBLOCK) (cloexec
 * cleared), PZ = pidfd_open(Z, 0).
 * Check after SIGTERM:
 *   - fdinfo "Pid:" of P and P2 is C, of PZ is Z; P2 has O_NONBLOCK, P not; P has FD_CLOEXEC
 *     (pidfd_open sets it), P2 not;
 *   - C is alive: poll(P) is not readable, waitid(P_PIDFD, P2, WEXITED) fails with EAGAIN
 *     (nonblocking pidfd), waitid(P_PIDFD, P, WEXITED|WNOHANG) reports nothing;
 *   - PZ is readable at once and waitid(P_PIDFD, PZ) gives Z with exit status 7;
 *   - pidfd_send_signal(P, SIGTERM) ends C: poll(P) turns readable (within 10 s) and
 *     waitid(P_PIDFD, P, WEXITED) gives C with exit status 42.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static int fdinfo_pid(int fd)
{
	char p[64], buf[1024], *s;
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(p, buf, sizeof(buf));
	s = strstr(buf, "\nPid:");
	return s ? atoi(s + 5) : -1000;
}

static int readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

int main(int argc, char **argv)
{
	pid_t c, z;
	int p, p2, pz;
	siginfo_t si;

	zdtm_init(argc, argv);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		zdtm_wait_for_term();
		_exit(42);
	}
	z = fork();
	if (z < 0)
		zdtm_fail("fork: %m");
	if (z == 0)
		_exit(7);
	p = pidfd_open(c, 0);
	p2 = pidfd_open(c, PIDFD_NONBLOCK);
	pz = pidfd_open(z, 0);
	if (p < 0 || p2 < 0 || pz < 0 || fcntl(p2, F_SETFD, 0))
		zdtm_fail("pidfd_open: %m");
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, z, &si, WEXITED | WNOWAIT))
		zdtm_fail("waitid Z: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fdinfo_pid(p) == c && fdinfo_pid(p2) == c, "P/P2 name pid %d/%d, expected %d", fdinfo_pid(p), fdinfo_pid(p2), c);
	zdtm_check(fdinfo_pid(pz) == z, "PZ names pid %d, expected %d", fdinfo_pid(pz), z);
	zdtm_check(!(fcntl(p, F_GETFL) & O_NONBLOCK) && (fcntl(p2, F_GETFL) & O_NONBLOCK), "O_NONBLOCK of P/P2 changed");
	zdtm_check((fcntl(p, F_GETFD) & FD_CLOEXEC) && !(fcntl(p2, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC of P/P2 changed");

	zdtm_check(!readable(p, 0), "P readable while C is alive");
	errno = 0;
	zdtm_check(waitid(P_PIDFD, p2, &si, WEXITED) == -1 && errno == EAGAIN, "waitid on nonblocking P2: %m (expected EAGAIN)");
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PIDFD, p, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0, "waitid WNOHANG on P reported pid %d", si.si_pid);

	zdtm_check(readable(pz, 0), "PZ of the zombie is not readable");
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PIDFD, pz, &si, WEXITED) == 0 && si.si_pid == z && si.si_code == CLD_EXITED && si.si_status == 7,
		   "waitid PZ: pid %d code %d status %d (%m)", si.si_pid, si.si_code, si.si_status);

	zdtm_check(syscall(SYS_pidfd_send_signal, p, SIGTERM, NULL, 0) == 0, "pidfd_send_signal: %m");
	zdtm_check(readable(p, 10000), "P not readable after C was told to exit");
	memset(&si, 0, sizeof(si));
	zdtm_check(waitid(P_PIDFD, p, &si, WEXITED) == 0 && si.si_pid == c && si.si_code == CLD_EXITED && si.si_status == 42,
		   "waitid P: pid %d code %d status %d (%m)", si.si_pid, si.si_code, si.si_status);
	zdtm_finish();
}
