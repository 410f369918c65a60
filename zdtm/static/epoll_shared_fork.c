/*
 * epoll_shared_fork: one epoll instance shared by a parent and its child, each having added
 * fds of its own fd table.
 *
 * State: the test R creates epoll E and eventfd A (counter 0), adds A (EPOLLIN, data 0xa),
 * forks child C. C creates eventfd B and dup2()s it to fd 40, adds fd 40 to E (EPOLLIN,
 * data 0xb) and closes its copy of A. R puts another eventfd N (counter 7, not in E) at
 * fd 40.
 * Check after SIGTERM: E's fdinfo (in R and in C: one instance, kcmp) lists tfd A and tfd
 * 40 with their data; nothing is ready; C writes 3 to B: R's epoll_wait reports 0xb only;
 * R writes 1 to A: C's epoll_wait reports 0xa and 0xb; R's fd 40 is still N (reads 7); C
 * removes fd 40 from E (EPOLL_CTL_DEL works in C, fails with ENOENT in R for R's fd 40).
 */
#include "kid_util.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

#define KCMP_FILE_ 0

static volatile int *sh;

static int mask(int ep)
{
	struct epoll_event e[8];
	int n = epoll_wait(ep, e, 8, 0), i, m = 0;
	for (i = 0; i < n; i++)
		m |= 1 << e[i].data.u32;
	return n < 0 ? -1 : m;
}

static int has_tfd(int ep, int fd, unsigned long long data)
{
	char path[64], buf[8192], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	zdtm_read_file(path, buf, sizeof(buf));
	for (p = buf; (p = strstr(p, "tfd:")); p++) {
		int f;
		unsigned e;
		unsigned long long d;
		if (sscanf(p, "tfd: %d events: %x data: %llx", &f, &e, &d) == 3 && f == fd && d == data && (e & EPOLLIN))
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int ep, a, nul, m;
	struct epoll_event ev;
	uint64_t v;
	pid_t c, me;

	zdtm_init(argc, argv);
	me = getpid();
	sh = kid_shared_page();
	ep = epoll_create1(0);
	a = eventfd(0, EFD_NONBLOCK);
	if (ep < 0 || a < 0)
		zdtm_fail("create: %m");
	/* All of data zeroed: only its low 32 bits set would leave the rest as the stack had it,
	 * and fdinfo's data (compared whole) would not be 0xa (it was not with Debian 11's gcc). */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 0xa;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev))
		zdtm_fail("epoll_ctl A: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int b = eventfd(0, EFD_NONBLOCK), before;
		if (b < 0 || dup2(b, 40) != 40)
			_exit(10);
		close(b);
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u32 = 0xb;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, 40, &ev))
			_exit(11);
		close(a);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		zdtm_check(syscall(SYS_kcmp, getpid(), me, KCMP_FILE_, ep, ep) == 0, "C: its epoll and R's differ");
		zdtm_check(has_tfd(ep, a, 0xa) && has_tfd(ep, 40, 0xb), "C: fdinfo lacks tfd %d or 40", a);
		zdtm_check((m = mask(ep)) == 0, "C: %#x ready before any write", m);
		v = 3;
		zdtm_check(write(40, &v, 8) == 8, "C: write B: %m");
		kid_set_word(&sh[2], 1);
		kid_wait_word(&sh[3], 1, 5000);
		zdtm_check((m = mask(ep)) == ((1 << 0xa) | (1 << 0xb)), "C: %#x ready after both writes, expected A and B", m);
		zdtm_check(epoll_ctl(ep, EPOLL_CTL_DEL, 40, NULL) == 0, "C: EPOLL_CTL_DEL 40: %m");
		kid_set_word(&sh[4], 1);
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not register");
	nul = eventfd(7, EFD_NONBLOCK);
	if (nul < 0 || dup2(nul, 40) != 40)
		zdtm_fail("eventfd N at 40: %m");
	close(nul);
	zdtm_log("epoll %d, A %d, child %d", ep, a, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(has_tfd(ep, a, 0xa) && has_tfd(ep, 40, 0xb), "R: fdinfo lacks tfd %d or 40", a);
	zdtm_check((m = mask(ep)) == 0, "R: %#x ready before any write", m);
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000), "C did not write");
	zdtm_check((m = mask(ep)) == 1 << 0xb, "R: %#x ready after C wrote B, expected B only", m);
	v = 1;
	zdtm_check(write(a, &v, 8) == 8, "R: write A: %m");
	errno = 0;
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_DEL, 40, NULL) < 0 && errno == ENOENT, "R: EPOLL_CTL_DEL of its own fd 40: %m, expected ENOENT");
	kid_set_word(&sh[3], 1);
	zdtm_check(kid_wait_word(&sh[4], 1, 5000), "C did not finish");
	zdtm_check((m = mask(ep)) == 1 << 0xa, "R: %#x ready after C removed B, expected A only", m);
	v = 0;
	zdtm_check(read(40, &v, 8) == 8 && v == 7, "R: fd 40 is no longer eventfd N (read %llu)", (unsigned long long)v);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
