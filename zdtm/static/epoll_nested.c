/*
 * epoll_nested: an epoll instance watched by another epoll instance.
 *
 * State: inner epoll I watches eventfd X (counter 2, EPOLLIN, data 0x20) and the read end
 * of an empty pipe P (EPOLLIN, data 0x30). Outer epoll O watches I (EPOLLIN, data 0x10) and
 * eventfd Y (counter 0, EPOLLIN|EPOLLET, data 0x40).
 * Check after SIGTERM: fdinfo of O names I's fd and Y's with their events and data, fdinfo
 * of I names X and P; epoll_wait(O, 0) reports only 0x10 (I is readable), epoll_wait(I, 0)
 * only 0x20; once X is read empty, O reports nothing; a byte written into P makes O report
 * 0x10 and I report 0x30; a write to Y makes O report 0x40 and 0x10.
 */
#include "zdtm.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <unistd.h>

/* Bitmask of data values (0x10 -> bit 1, 0x20 -> bit 2, ...) that epoll_wait(0) reports with EPOLLIN. */
static int ready(int ep)
{
	struct epoll_event e[8];
	int n = epoll_wait(ep, e, 8, 0), i, m = 0;
	for (i = 0; i < n; i++)
		m |= (e[i].events & EPOLLIN ? 1 : 0x100) << (e[i].data.u64 >> 4);
	return n < 0 ? -1 : m;
}

/* 1 if fdinfo of ep has "tfd: fd events: ev data: data". */
static int has_tfd(int ep, int fd, unsigned ev, unsigned long long data)
{
	char path[64], buf[8192], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	zdtm_read_file(path, buf, sizeof(buf));
	for (p = buf; (p = strstr(p, "tfd:")); p++) {
		int f;
		unsigned e;
		unsigned long long d;
		if (sscanf(p, "tfd: %d events: %x data: %llx", &f, &e, &d) == 3 && f == fd && (e & ~(unsigned)(EPOLLERR | EPOLLHUP)) == ev && d == data)
			return 1;
	}
	return 0;
}

static int add(int ep, int fd, unsigned ev, unsigned long long data)
{
	struct epoll_event e = { .events = ev, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

int main(int argc, char **argv)
{
	int in, out, x, y, p[2], m;
	uint64_t v;

	zdtm_init(argc, argv);
	in = epoll_create1(0);
	out = epoll_create1(EPOLL_CLOEXEC);
	x = eventfd(2, EFD_NONBLOCK);
	y = eventfd(0, EFD_NONBLOCK);
	if (in < 0 || out < 0 || x < 0 || y < 0 || pipe(p))
		zdtm_fail("create: %m");
	if (add(in, x, EPOLLIN, 0x20) || add(in, p[0], EPOLLIN, 0x30) || add(out, in, EPOLLIN, 0x10) ||
	    add(out, y, EPOLLIN | EPOLLET, 0x40))
		zdtm_fail("epoll_ctl: %m");
	if (ready(out) != 2 || ready(in) != 4)
		zdtm_fail("set-up: outer %#x inner %#x", ready(out), ready(in));
	zdtm_log("inner %d, outer %d", in, out);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(has_tfd(out, in, EPOLLIN, 0x10), "outer fdinfo lacks the inner epoll %d", in);
	zdtm_check(has_tfd(out, y, EPOLLIN | EPOLLET, 0x40), "outer fdinfo lacks eventfd Y %d", y);
	zdtm_check(has_tfd(in, x, EPOLLIN, 0x20), "inner fdinfo lacks eventfd X %d", x);
	zdtm_check(has_tfd(in, p[0], EPOLLIN, 0x30), "inner fdinfo lacks the pipe %d", p[0]);
	zdtm_check((m = ready(out)) == 2, "outer reports %#x, expected 0x10 only", m);
	zdtm_check((m = ready(in)) == 4, "inner reports %#x, expected 0x20 only", m);
	zdtm_check(read(x, &v, 8) == 8 && v == 2, "X: %llu, expected 2", (unsigned long long)v);
	zdtm_check((m = ready(out)) == 0, "outer reports %#x with nothing ready inside", m);
	zdtm_check(write(p[1], "z", 1) == 1, "write: %m");
	zdtm_check((m = ready(out)) == 2, "outer reports %#x after the pipe write, expected 0x10", m);
	zdtm_check((m = ready(in)) == 8, "inner reports %#x after the pipe write, expected 0x30", m);
	v = 1;
	zdtm_check(write(y, &v, 8) == 8, "write Y: %m");
	zdtm_check((m = ready(out)) == 0x12, "outer reports %#x after writing Y, expected 0x10 and 0x40", m);
	zdtm_check((m = ready(out)) == 2, "outer reports %#x again, expected 0x10 (Y is edge-triggered)", m);
	zdtm_check((fcntl(out, F_GETFD) & FD_CLOEXEC) && !(fcntl(in, F_GETFD) & FD_CLOEXEC), "FD_CLOEXEC of the epolls changed");
	zdtm_finish();
}
