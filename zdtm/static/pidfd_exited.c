/*
 * pidfd_exited: pidfds of children that exited and were reaped; after restore they must still
 * be pidfds of ended processes, with the same end where the kernel keeps it.
 *
 * State: child E exited 42 and child K was killed by SIGKILL, both reaped by waitpid; PE =
 * pidfd_open(E, 0) and PK = pidfd_open(K, PIDFD_NONBLOCK), both taken before the reaping.
 * Check after SIGTERM:
 *   - fdinfo "Pid:" of both is -1 (no process); PK has O_NONBLOCK, PE not; both FD_CLOEXEC;
 *   - poll reports both readable at once (the process has ended);
 *   - pidfd_send_signal gives ESRCH, waitid(P_PIDFD) ECHILD (not a child any more);
 *   - PIDFD_GET_INFO with PIDFD_INFO_EXIT (kernel 6.15+; checked when it worked before the
 *     checkpoint) gives the wait statuses 42 << 8 and SIGKILL, as recorded at set-up.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
/* struct pidfd_info up to exit_code (PIDFD_INFO_SIZE_VER0), PIDFD_GET_INFO, PIDFD_INFO_EXIT. */
struct info64 { uint64_t mask, cgroupid; uint32_t ids[11]; int32_t exit_code; };
#define GET_INFO _IOWR(0xFF, 11, struct info64)
#define INFO_EXIT 8ULL

static int fdinfo_pid(int fd)
{
	char p[64], buf[1024], *s;
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(p, buf, sizeof(buf));
	s = strstr(buf, "\nPid:");
	return s ? atoi(s + 5) : -1000;
}

static int readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* The kept wait status, or -1 when the kernel gives none. */
static int exit_info(int fd)
{
	struct info64 i;
	memset(&i, 0, sizeof(i));
	i.mask = INFO_EXIT;
	if (ioctl(fd, GET_INFO, &i) || !(i.mask & INFO_EXIT))
		return -1;
	return i.exit_code;
}

int main(int argc, char **argv)
{
	pid_t e, k;
	int pe, pk, st, ie, ik;
	siginfo_t si;

	zdtm_init(argc, argv);
	e = fork();
	if (e == 0)
		_exit(42);
	k = fork();
	if (k == 0) {
		for (;;)
			pause();
	}
	if (e < 0 || k < 0)
		zdtm_fail("fork: %m");
	pe = syscall(SYS_pidfd_open, e, 0);
	pk = syscall(SYS_pidfd_open, k, PIDFD_NONBLOCK);
	if (pe < 0 || pk < 0)
		zdtm_fail("pidfd_open: %m");
	kill(k, SIGKILL);
	if (waitpid(e, &st, 0) != e || !WIFEXITED(st) || WEXITSTATUS(st) != 42)
		zdtm_fail("E ended with %#x", st);
	if (waitpid(k, &st, 0) != k || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		zdtm_fail("K ended with %#x", st);
	ie = exit_info(pe);
	ik = exit_info(pk);
	if ((ie == -1) != (ik == -1) || (ie != -1 && (ie != 42 << 8 || ik != SIGKILL)))
		zdtm_fail("PIDFD_INFO_EXIT gives %#x and %#x", ie, ik);
	zdtm_log("PIDFD_INFO_EXIT %s", ie == -1 ? "not supported: not checked" : "checked");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fdinfo_pid(pe) == -1 && fdinfo_pid(pk) == -1, "fdinfo Pid %d/%d, expected -1", fdinfo_pid(pe), fdinfo_pid(pk));
	zdtm_check(!(fcntl(pe, F_GETFL) & O_NONBLOCK) && (fcntl(pk, F_GETFL) & O_NONBLOCK), "O_NONBLOCK of PE/PK changed");
	zdtm_check((fcntl(pe, F_GETFD) & FD_CLOEXEC) && (fcntl(pk, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC of PE/PK lost");
	zdtm_check(readable(pe) && readable(pk), "pidfd of an ended process not readable");
	errno = 0;
	zdtm_check(syscall(SYS_pidfd_send_signal, pe, 0, NULL, 0) == -1 && errno == ESRCH, "pidfd_send_signal on PE: %m");
	errno = 0;
	zdtm_check(waitid(P_PIDFD, pe, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD, "waitid on PE: %m (expected ECHILD)");
	if (ie != -1) {
		zdtm_check(exit_info(pe) == ie, "PE's exit status %#x, expected %#x", exit_info(pe), ie);
		zdtm_check(exit_info(pk) == ik, "PK's exit status %#x, expected %#x", exit_info(pk), ik);
	}
	zdtm_finish();
}
