/*
 * epoll_interest: an epoll instance's interest list, modes and ready set.
 *
 * State: epoll EP (EPOLL_CLOEXEC) watching
 *   pipe A's read end, 10 bytes queued       EPOLLIN                  data 0x1111
 *   eventfd E1, counter 1                     EPOLLIN | EPOLLET        data 0x2222
 *   eventfd E2, counter 0 (writable)          EPOLLOUT                 data 0x3333
 *   pipe B's write end                        EPOLLOUT | EPOLLONESHOT  data 0x4444, already
 *                                             reported once (so disarmed)
 *   pipe C's read end, empty                  EPOLLIN | EPOLLRDHUP     data 0x5555
 * Nothing was waited for since E1 became ready.
 * Check after SIGTERM: /proc/self/fdinfo of EP lists the same five targets with the same
 * events and data as before (a disarmed one-shot entry may gain EPOLLERR|EPOLLHUP: epoll_ctl
 * cannot add it without them); EP keeps FD_CLOEXEC. epoll_wait (timeout 0) reports exactly
 * {0x1111 IN, 0x2222 IN, 0x3333 OUT}; a second one {0x1111, 0x3333} (edge-triggered E1 is
 * not reported again); after a write to E1, E1 again; B stays silent until re-armed with
 * EPOLL_CTL_MOD, then reports OUT; C reports HUP once its write end is closed.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct tfd { int fd; unsigned events; unsigned long long data; };

static int cmp_tfd(const void *a, const void *b)
{
	const struct tfd *x = a, *y = b;
	return x->data < y->data ? -1 : x->data > y->data;
}

/* The tfd lines of EP's fdinfo, sorted by data; returns how many. */
static int read_tfds(int ep, struct tfd *out, int max)
{
	char path[64], buf[8192], *p;
	int n = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	zdtm_read_file(path, buf, sizeof(buf));
	for (p = buf; (p = strstr(p, "tfd:")) && n < max; p++) {
		if (sscanf(p, "tfd: %d events: %x data: %llx", &out[n].fd, &out[n].events, &out[n].data) == 3)
			n++;
	}
	qsort(out, n, sizeof(*out), cmp_tfd);	/* the kernel lists them in its own tree order */
	return n;
}

/* epoll_wait(0) as a sorted list of "data:events" pairs. */
static int ready(int ep, unsigned long long *data, unsigned *ev)
{
	struct epoll_event e[16];
	int n = epoll_wait(ep, e, 16, 0), i, j;
	for (i = 0; i < n; i++) {
		data[i] = e[i].data.u64;
		ev[i] = e[i].events;
	}
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (data[j] < data[i]) {
				unsigned long long t = data[i];
				unsigned te = ev[i];
				data[i] = data[j];
				ev[i] = ev[j];
				data[j] = t;
				ev[j] = te;
			}
	return n;
}

static void expect(int ep, const char *when, int n_want, const unsigned long long *d_want, const unsigned *e_want)
{
	unsigned long long d[16];
	unsigned e[16];
	int n = ready(ep, d, e), i, ok = n == n_want;
	for (i = 0; ok && i < n; i++)
		ok = d[i] == d_want[i] && e[i] == e_want[i];
	if (!zdtm_check(ok, "%s: epoll_wait reported %d events, expected %d", when, n, n_want))
		for (i = 0; i < n; i++)
			zdtm_log("  got data %#llx events %#x", d[i], e[i]);
}

static void add(int ep, int fd, unsigned events, unsigned long long data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e))
		zdtm_fail("epoll_ctl ADD %d: %m", fd);
}

int main(int argc, char **argv)
{
	int a[2], b[2], c[2], e1, e2, ep, nb, na, i;
	struct tfd before[8], after[8];
	struct epoll_event ev[4];
	uint64_t one = 1;

	zdtm_init(argc, argv);
	ep = epoll_create1(EPOLL_CLOEXEC);
	e1 = eventfd(0, EFD_NONBLOCK);
	e2 = eventfd(0, EFD_NONBLOCK);
	if (ep < 0 || e1 < 0 || e2 < 0 || pipe(a) || pipe(b) || pipe(c))
		zdtm_fail("setup: %m");
	add(ep, b[1], EPOLLOUT | EPOLLONESHOT, 0x4444);
	if (epoll_wait(ep, ev, 4, 0) != 1 || ev[0].data.u64 != 0x4444)
		zdtm_fail("the one-shot entry did not fire");
	if (write(a[1], "0123456789", 10) != 10 || write(e1, &one, 8) != 8)
		zdtm_fail("write: %m");
	add(ep, a[0], EPOLLIN, 0x1111);
	add(ep, e1, EPOLLIN | EPOLLET, 0x2222);
	add(ep, e2, EPOLLOUT, 0x3333);
	add(ep, c[0], EPOLLIN | EPOLLRDHUP, 0x5555);
	nb = read_tfds(ep, before, 8);
	if (nb != 5)
		zdtm_fail("fdinfo lists %d targets, expected 5", nb);

	zdtm_ready();
	zdtm_wait_for_term();

	na = read_tfds(ep, after, 8);
	zdtm_check(na == nb, "fdinfo lists %d targets, expected %d", na, nb);
	for (i = 0; i < nb && i < na; i++) {
		unsigned ev = after[i].events;
		/* A disarmed one-shot entry shows only EPOLLONESHOT; one cannot be added like that
		 * (epoll_ctl always adds EPOLLERR|EPOLLHUP), so those two are forgiven there. */
		if (before[i].events == EPOLLONESHOT && (ev & ~(EPOLLERR | EPOLLHUP)) == EPOLLONESHOT) {
			if (ev != EPOLLONESHOT)
				zdtm_log("disarmed one-shot entry restored as %#x", ev);
			ev = EPOLLONESHOT;
		}
		zdtm_check(after[i].fd == before[i].fd && ev == before[i].events &&
			   after[i].data == before[i].data,
			   "target %d: fd %d events %#x data %#llx, expected fd %d events %#x data %#llx", i, after[i].fd,
			   after[i].events, after[i].data, before[i].fd, before[i].events, before[i].data);
	}
	zdtm_check(fcntl(ep, F_GETFD) & FD_CLOEXEC, "the epoll fd lost FD_CLOEXEC");
	{
		unsigned long long d1[] = { 0x1111, 0x2222, 0x3333 }, d2[] = { 0x1111, 0x3333 }, d3[] = { 0x2222 },
				   d4[] = { 0x4444 }, d5[] = { 0x5555 };
		unsigned e1w[] = { EPOLLIN, EPOLLIN, EPOLLOUT }, e2w[] = { EPOLLIN, EPOLLOUT }, e3w[] = { EPOLLIN },
			 e4w[] = { EPOLLOUT }, e5w[] = { EPOLLHUP };	/* pipes never raise RDHUP */
		struct epoll_event mod = { .events = EPOLLOUT | EPOLLONESHOT, .data.u64 = 0x4444 };
		char junk[16];

		expect(ep, "first wait", 3, d1, e1w);
		expect(ep, "second wait", 2, d2, e2w);
		if (read(a[0], junk, sizeof(junk)) != 10)
			zdtm_check(0, "pipe A did not hold its 10 bytes");
		zdtm_check(read(e1, &one, 8) == 8 && one == 1, "E1 counter %llu, expected 1", (unsigned long long)one);
		one = 2;
		zdtm_check(write(e1, &one, 8) == 8, "write E1: %m");
		epoll_ctl(ep, EPOLL_CTL_DEL, e2, NULL);	/* E2 out of the way */
		expect(ep, "after a write to E1", 1, d3, e3w);
		zdtm_check(epoll_ctl(ep, EPOLL_CTL_MOD, b[1], &mod) == 0, "re-arming B: %m");
		expect(ep, "after re-arming B", 1, d4, e4w);
		close(c[1]);
		expect(ep, "after C's writer closed", 1, d5, e5w);
	}
	zdtm_finish();
}
