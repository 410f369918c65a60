/*
 * epoll_mixed_fds: one epoll instance watching a timerfd, a signalfd and eventfds with
 * edge-triggered and one-shot entries and their data.
 *
 * State: EP watches
 *   timerfd T (one-shot, expired once, unread)   EPOLLIN | EPOLLET        data 0xa1a1
 *   signalfd S (SIGUSR1, one queued, payload 77)  EPOLLIN | EPOLLONESHOT   data 0xb2b2 (armed)
 *   eventfd E (counter 5)                         EPOLLIN | EPOLLOUT       data 0xc3c3
 *   eventfd D (counter 1)                         EPOLLIN | EPOLLONESHOT   data 0xd4d4, already
 *                                                 reported (disarmed)
 * Nothing was waited for since T, S and E became ready.
 * Check after SIGTERM: fdinfo of EP lists the four fds with their events and data (D may
 * gain EPOLLERR|EPOLLHUP, as epoll_ctl cannot add a disarmed entry without them);
 * epoll_wait(0) gives exactly {a1a1 IN, b2b2 IN, c3c3 IN|OUT}, a second one {c3c3 IN|OUT};
 * T reads 1 expiration, S gives SIGUSR1 with SI_QUEUE and 77, E reads 5, D still 1; T armed
 * again reports a1a1 once it expires; S re-armed (EPOLL_CTL_MOD) reports b2b2 for a new
 * SIGUSR1; D stays silent until re-armed.
 */
#include "zdtm.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct tfd { int fd; unsigned events; unsigned long long data; };

static int cmp_tfd(const void *a, const void *b)
{
	const struct tfd *x = a, *y = b;
	return x->data < y->data ? -1 : x->data > y->data;
}

static int read_tfds(int ep, struct tfd *out, int max)
{
	char path[64], buf[8192], *p;
	int n = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	zdtm_read_file(path, buf, sizeof(buf));
	for (p = buf; (p = strstr(p, "tfd:")) && n < max; p++)
		if (sscanf(p, "tfd: %d events: %x data: %llx", &out[n].fd, &out[n].events, &out[n].data) == 3)
			n++;
	qsort(out, n, sizeof(*out), cmp_tfd);
	return n;
}

/* epoll_wait(timeout) as "data:events" pairs sorted by data, in a string. */
static const char *ready(int ep, int ms, char *s, size_t size)
{
	struct epoll_event e[16];
	struct tfd t[16];
	int n = epoll_wait(ep, e, 16, ms), i;
	size_t o = 0;
	for (i = 0; i < n; i++) {
		t[i].data = e[i].data.u64;
		t[i].events = e[i].events;
	}
	qsort(t, n > 0 ? n : 0, sizeof(t[0]), cmp_tfd);
	s[0] = 0;
	for (i = 0; i < n; i++)
		o += snprintf(s + o, size - o, "%s%llx:%x", i ? " " : "", t[i].data, t[i].events);
	return s;
}

int main(int argc, char **argv)
{
	int ep, t, s, e, d, n, i;
	struct epoll_event ev;
	struct itimerspec its = { { 0, 0 }, { 0, 50 * 1000 * 1000 } };
	struct tfd before[8], after[8];
	struct signalfd_siginfo si;
	sigset_t ss;
	uint64_t v;
	char buf[256], want[256];
	static const unsigned ev_of[4] = { EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLOUT, EPOLLIN | EPOLLONESHOT };
	static const unsigned long long data_of[4] = { 0xa1a1, 0xb2b2, 0xc3c3, 0xd4d4 };
	int fds[4];

	zdtm_init(argc, argv);
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	sigprocmask(SIG_BLOCK, &ss, NULL);
	ep = epoll_create1(0);
	t = timerfd_create(CLOCK_MONOTONIC, 0);
	s = signalfd(-1, &ss, SFD_NONBLOCK);
	e = eventfd(5, EFD_NONBLOCK);
	d = eventfd(1, EFD_NONBLOCK);
	if (ep < 0 || t < 0 || s < 0 || e < 0 || d < 0)
		zdtm_fail("create: %m");
	fds[0] = t, fds[1] = s, fds[2] = e, fds[3] = d;
	for (i = 0; i < 4; i++) {
		ev.events = ev_of[i];
		ev.data.u64 = data_of[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			zdtm_fail("EPOLL_CTL_ADD: %m");
		if (i == 3 && strcmp(ready(ep, 0, buf, sizeof(buf)), "c3c3:5 d4d4:1"))
			zdtm_fail("set-up epoll_wait gave '%s'", buf);
	}
	if (timerfd_settime(t, 0, &its, NULL))
		zdtm_fail("timerfd_settime: %m");
	if (sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 77 }))
		zdtm_fail("sigqueue: %m");
	zdtm_sleep_ms(120);
	n = read_tfds(ep, before, 8);
	if (n != 4)
		zdtm_fail("fdinfo lists %d entries", n);

	zdtm_ready();
	zdtm_wait_for_term();

	n = read_tfds(ep, after, 8);
	zdtm_check(n == 4, "fdinfo lists %d entries, expected 4", n);
	for (i = 0; i < n && i < 4; i++) {
		unsigned extra = after[i].events & ~before[i].events;
		zdtm_check(after[i].fd == fds[i] && after[i].data == data_of[i] &&
				   (after[i].events == before[i].events ||
				    (i == 3 && !(extra & ~(unsigned)(EPOLLERR | EPOLLHUP)) &&
				     (after[i].events & ~(unsigned)(EPOLLERR | EPOLLHUP)) == (before[i].events & ~(unsigned)(EPOLLERR | EPOLLHUP)))),
			   "entry %d: fd %d events %#x data %#llx, expected fd %d events %#x data %#llx", i, after[i].fd,
			   after[i].events, after[i].data, fds[i], before[i].events, data_of[i]);
	}
	zdtm_check(!strcmp(ready(ep, 0, buf, sizeof(buf)), "a1a1:1 b2b2:1 c3c3:5"), "first epoll_wait: '%s', expected 'a1a1:1 b2b2:1 c3c3:5'", buf);
	zdtm_check(!strcmp(ready(ep, 0, buf, sizeof(buf)), "c3c3:5"), "second epoll_wait: '%s', expected 'c3c3:5'", buf);
	v = 0;
	zdtm_check(read(t, &v, 8) == 8 && v == 1, "timerfd: %llu expirations, expected 1", (unsigned long long)v);
	memset(&si, 0, sizeof(si));
	zdtm_check(read(s, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1 && si.ssi_code == SI_QUEUE &&
			   si.ssi_int == 77,
		   "signalfd: signo %u code %d int %d, expected SIGUSR1 SI_QUEUE 77", si.ssi_signo, si.ssi_code, si.ssi_int);
	zdtm_check(read(s, &si, sizeof(si)) < 0 && errno == EAGAIN, "signalfd has a second signal");
	v = 0;
	zdtm_check(read(e, &v, 8) == 8 && v == 5, "eventfd E: %llu, expected 5", (unsigned long long)v);
	zdtm_check(!strcmp(ready(ep, 0, buf, sizeof(buf)), "c3c3:4"), "after the reads: '%s', expected 'c3c3:4'", buf);
	its.it_value.tv_nsec = 20 * 1000 * 1000;
	zdtm_check(timerfd_settime(t, 0, &its, NULL) == 0, "timerfd_settime: %m");
	zdtm_sleep_ms(60);
	zdtm_check(!strcmp(ready(ep, 0, buf, sizeof(buf)), "a1a1:1 c3c3:4"), "after the timer fired again: '%s'", buf);
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 0xb2b2;
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_MOD, s, &ev) == 0, "EPOLL_CTL_MOD S: %m");
	kill(getpid(), SIGUSR1);
	snprintf(want, sizeof(want), "b2b2:1 c3c3:4");
	zdtm_check(!strcmp(ready(ep, 0, buf, sizeof(buf)), want), "after a new SIGUSR1: '%s', expected '%s'", buf, want);
	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 0xd4d4;
	zdtm_check(epoll_ctl(ep, EPOLL_CTL_MOD, d, &ev) == 0, "EPOLL_CTL_MOD D: %m");
	zdtm_check(!strcmp(ready(ep, 0, buf, sizeof(buf)), "c3c3:4 d4d4:1"), "after re-arming D: '%s'", buf);
	v = 0;
	zdtm_check(read(d, &v, 8) == 8 && v == 1, "eventfd D: %llu, expected 1", (unsigned long long)v);
	zdtm_finish();
}
