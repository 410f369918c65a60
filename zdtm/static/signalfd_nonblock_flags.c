/*
 * signalfd_nonblock_flags: a signalfd made with SFD_NONBLOCK | SFD_CLOEXEC for several
 * standard and realtime signals, shared by a forked child; each task reads its own signals
 * through it.
 *
 * State: the signals SIGUSR1, SIGALRM, SIGCHLD, SIGRTMIN, SIGRTMIN+7, SIGRTMAX are blocked
 * and a signalfd S (SFD_NONBLOCK | SFD_CLOEXEC) takes all six; SIGRTMIN+3 is blocked but not
 * in S. A child C inherits S (the same open file description). Pending on the parent:
 * SIGRTMAX queued with sival_int 0x7a11. Pending on C: SIGRTMIN+7 queued with sival_int 0xc7,
 * SIGALRM.
 * Check after SIGTERM, in both tasks: F_GETFL of S has O_NONBLOCK, F_GETFD has FD_CLOEXEC,
 * the fdinfo sigmask is the six signals; C's S is the parent's S (kcmp). C reads SIGALRM, then
 * SIGRTMIN+7 with 0xc7, then EAGAIN (never the parent's SIGRTMAX), and exits. The parent then
 * reads SIGRTMAX with 0x7a11, then EAGAIN at once (nonblocking: no waiting); after
 * kill(SIGRTMIN+3) S still gives EAGAIN (not its signal), after sigqueue(SIGRTMIN, 5) it gives
 * SIGRTMIN with 5.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int sigs[6];
static unsigned long long want_mask;

static unsigned long long fdinfo_mask(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "sigmask:");
	return p ? strtoull(p + 8, NULL, 16) : 0;
}

static void check_fd(const char *who, int fd)
{
	zdtm_check(fcntl(fd, F_GETFL) & O_NONBLOCK, "%s: S lost O_NONBLOCK", who);
	zdtm_check(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s: S lost FD_CLOEXEC", who);
	zdtm_check(fdinfo_mask(fd) == want_mask, "%s: sigmask %#llx, expected %#llx", who, fdinfo_mask(fd), want_mask);
}

/* Reads one signal; returns its number (0: EAGAIN, -1: another error), payload in *val. */
static int take(int fd, int *val)
{
	struct signalfd_siginfo si;
	ssize_t n = read(fd, &si, sizeof(si));
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n != sizeof(si))
		return -1;
	*val = si.ssi_code == SI_QUEUE ? si.ssi_int : -1;
	return si.ssi_signo;
}

int main(int argc, char **argv)
{
	int fd, i, s, val = 0, st = 0;
	uint64_t t0, waited;
	sigset_t set, outside;
	union sigval v;
	pid_t c, me;

	zdtm_init(argc, argv);
	me = getpid();
	sigs[0] = SIGUSR1;
	sigs[1] = SIGALRM;
	sigs[2] = SIGCHLD;
	sigs[3] = SIGRTMIN;
	sigs[4] = SIGRTMIN + 7;
	sigs[5] = SIGRTMAX;
	sigemptyset(&set);
	for (i = 0; i < 6; i++) {
		sigaddset(&set, sigs[i]);
		want_mask |= 1ULL << (sigs[i] - 1);
	}
	sigemptyset(&outside);
	sigaddset(&outside, SIGRTMIN + 3);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigprocmask(SIG_BLOCK, &outside, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		zdtm_fail("signalfd: %m");

	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		v.sival_int = 0xc7;
		if (sigqueue(getpid(), SIGRTMIN + 7, v) || kill(getpid(), SIGALRM))
			zdtm_fail("C: sending: %m");
		zdtm_wait_for_term();
		check_fd("C", fd);
		zdtm_check(syscall(SYS_kcmp, me, getpid(), 0, fd, fd) == 0, "C: S is not the parent's S");
		s = take(fd, &val);
		zdtm_check(s == SIGALRM, "C: first read gave %d, expected SIGALRM", s);
		s = take(fd, &val);
		zdtm_check(s == SIGRTMIN + 7 && val == 0xc7, "C: second read gave %d (%#x), expected %d (0xc7)", s, val,
			   SIGRTMIN + 7);
		s = take(fd, &val);
		zdtm_check(s == 0, "C: third read gave %d, expected EAGAIN", s);
		_exit(zdtm_failures() ? 1 : 42);
	}
	v.sival_int = 0x7a11;
	if (sigqueue(getpid(), SIGRTMAX, v))
		zdtm_fail("sigqueue: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	check_fd("parent", fd);
	zdtm_check(syscall(SYS_kcmp, me, c, 0, fd, fd) == 0, "C's S is another object");
	kill(c, SIGTERM);
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with %#x", st);
	/* C's exit left a SIGCHLD pending: it is one of S's signals. */
	s = take(fd, &val);
	zdtm_check(s == SIGCHLD, "first read gave %d, expected SIGCHLD", s);
	s = take(fd, &val);
	zdtm_check(s == SIGRTMAX && val == 0x7a11, "second read gave %d (%#x), expected SIGRTMAX (0x7a11)", s, val);
	t0 = zdtm_now_ns();
	s = take(fd, &val);
	waited = zdtm_now_ns() - t0;
	zdtm_check(s == 0 && waited < 100000000ULL, "third read gave %d after %llu ns, expected EAGAIN at once", s,
		   (unsigned long long)waited);
	kill(getpid(), SIGRTMIN + 3);
	s = take(fd, &val);
	zdtm_check(s == 0, "SIGRTMIN+3 (not in the mask) read through S: %d", s);
	v.sival_int = 5;
	sigqueue(getpid(), SIGRTMIN, v);
	s = take(fd, &val);
	zdtm_check(s == SIGRTMIN && val == 5, "after sigqueue(SIGRTMIN, 5): read gave %d (%d)", s, val);
	zdtm_finish();
}
