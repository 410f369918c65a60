/*
 * eventfd_counter: eventfds with their counters and modes, one shared with a child.
 *
 * State:
 *   E1 eventfd(5, 0) plus a write of 37: counter 42, blocking, counting mode;
 *   E2 eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
 *   E3 eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC): counter 0;
 *   E4 eventfd(0xfffffffffffffff0, 0): near the maximum;
 *   E1 is inherited by a child C.
 * Check after SIGTERM: /proc/self/fdinfo "eventfd-count" of each is the counter set, and
 * F_GETFL/F_GETFD are as created (O_NONBLOCK, FD_CLOEXEC); kcmp says C's E1 is our E1.
 * Behaviour: C adds 8 to E1 and exits; E1 then reads 50 at once, after which (made
 * nonblocking) it gives EAGAIN; E2 reads 1 three times (semaphore) then EAGAIN; E3 EAGAIN;
 * E4 accepts 14 more (reaching the maximum, 0xfffffffffffffffe) but not one more (EAGAIN
 * once made nonblocking), and reads 0xfffffffffffffffe.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long long fdinfo_count(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "eventfd-count:");
	return p ? strtoull(p + 14, NULL, 16) : ~0ULL - 1;
}

static int rd(int fd, uint64_t *v)
{
	return read(fd, v, 8) == 8 ? 0 : -errno;
}

int main(int argc, char **argv)
{
	int e1, e2, e3, e4, st = 0, i;
	uint64_t v, add = 37;
	pid_t c, me;

	zdtm_init(argc, argv);
	me = getpid();
	e1 = eventfd(5, 0);
	e2 = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	e3 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e4 = eventfd(0, 0);
	if (e1 < 0 || e2 < 0 || e3 < 0 || e4 < 0 || write(e1, &add, 8) != 8)
		zdtm_fail("eventfd: %m");
	add = 0xfffffffffffffff0ULL;
	if (write(e4, &add, 8) != 8)
		zdtm_fail("eventfd write: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		zdtm_wait_for_term();
		zdtm_check(syscall(SYS_kcmp, me, getpid(), 0, e1, e1) == 0, "C: E1 is not the parent's E1");
		add = 8;
		zdtm_check(write(e1, &add, 8) == 8, "C: write E1: %m");
		_exit(zdtm_failures() ? 1 : 42);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fdinfo_count(e1) == 42, "E1 count %#llx, expected 42", fdinfo_count(e1));
	zdtm_check(fdinfo_count(e2) == 3, "E2 count %#llx, expected 3", fdinfo_count(e2));
	zdtm_check(fdinfo_count(e3) == 0, "E3 count %#llx, expected 0", fdinfo_count(e3));
	zdtm_check(fdinfo_count(e4) == 0xfffffffffffffff0ULL, "E4 count %#llx", fdinfo_count(e4));
	zdtm_check(!(fcntl(e1, F_GETFL) & O_NONBLOCK) && !(fcntl(e1, F_GETFD) & FD_CLOEXEC), "E1 flags changed");
	zdtm_check((fcntl(e2, F_GETFL) & O_NONBLOCK) && !(fcntl(e2, F_GETFD) & FD_CLOEXEC), "E2 flags changed");
	zdtm_check((fcntl(e3, F_GETFL) & O_NONBLOCK) && (fcntl(e3, F_GETFD) & FD_CLOEXEC), "E3 flags changed");
	zdtm_check(syscall(SYS_kcmp, me, c, 0, e1, e1) == 0, "C's E1 is another object");
	kill(c, SIGTERM);
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with %#x", st);

	zdtm_check(rd(e1, &v) == 0 && v == 50, "E1 read %llu, expected 50", (unsigned long long)v);
	fcntl(e1, F_SETFL, O_NONBLOCK);
	zdtm_check(rd(e1, &v) == -EAGAIN, "E1 not empty after one read");
	for (i = 0; i < 3; i++) {
		v = 0;
		zdtm_check(rd(e2, &v) == 0 && v == 1, "E2 read %d gave %llu, expected 1 (semaphore)", i,
			   (unsigned long long)v);
	}
	zdtm_check(rd(e2, &v) == -EAGAIN, "E2 not empty after three reads");
	zdtm_check(rd(e3, &v) == -EAGAIN, "E3 not empty");
	add = 14;
	zdtm_check(write(e4, &add, 8) == 8, "E4 refused 14: %m");
	fcntl(e4, F_SETFL, O_NONBLOCK);
	add = 1;
	errno = 0;
	zdtm_check(write(e4, &add, 8) == -1 && errno == EAGAIN, "E4 went past its maximum (%m)");
	zdtm_check(rd(e4, &v) == 0 && v == 0xfffffffffffffffeULL, "E4 read %#llx", (unsigned long long)v);
	zdtm_finish();
}
