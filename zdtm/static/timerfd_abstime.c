/*
 * timerfd_abstime: timerfds armed with TFD_TIMER_ABSTIME on CLOCK_REALTIME keep their absolute
 * expiry through the checkpoint (re-arming them with the time that was left at dump would
 * move it by the length of the checkpoint).
 *
 * State: A one-shot, absolute, at E = the next whole second of CLOCK_REALTIME + 3600 s +
 * 123456789 ns, with TFD_TIMER_CANCEL_ON_SET (TFD_NONBLOCK); P periodic, absolute, first at
 * F = now + 1.2 s, every 250 ms.
 * Check after SIGTERM: fdinfo "settime flags" are 03 for A and 01 for P; A has no interval
 * and now + its time left is E within 2 ms (now read on both sides of timerfd_gettime), and
 * it has not fired (EAGAIN); P has a 250 ms interval, now + its time left lies on F + k * 250
 * ms within 2 ms, and read() (once it has fired at least once, waiting up to 1.5 s)
 * gives (now - F) / 250 ms + 1 expirations, +-1.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NSEC 1000000000LL
#define PERIOD 250000000LL

static long long realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static long long ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static struct timespec ts_of(long long v)
{
	struct timespec ts = { v / NSEC, v % NSEC };
	return ts;
}

static int settime_flags(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "settime flags:");
	return p ? (int)strtol(p + 14, NULL, 8) : -1;
}

/* The absolute expiry the kernel has for fd, from its time left, bracketed by two clock reads. */
static long long expiry_of(int fd, long long *interval, long long *spread)
{
	struct itimerspec g;
	long long before, after;
	before = realtime_ns();
	timerfd_gettime(fd, &g);
	after = realtime_ns();
	*interval = ns(&g.it_interval);
	*spread = after - before;
	return before + (after - before) / 2 + ns(&g.it_value);
}

int main(int argc, char **argv)
{
	struct itimerspec ia = { { 0, 0 }, { 0, 0 } }, ip = { { 0, 0 }, { 0, 0 } };
	long long e, f, got, iv, spread, now, off, expect;
	struct pollfd pfd;
	uint64_t n = 0;
	int a, p;

	zdtm_init(argc, argv);
	a = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	p = timerfd_create(CLOCK_REALTIME, 0);
	if (a < 0 || p < 0)
		zdtm_fail("timerfd_create: %m");
	now = realtime_ns();
	e = (now / NSEC + 1 + 3600) * NSEC + 123456789;
	f = now + 1200000000LL;
	ia.it_value = ts_of(e);
	ip.it_value = ts_of(f);
	ip.it_interval = ts_of(PERIOD);
	if (timerfd_settime(a, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &ia, NULL) ||
	    timerfd_settime(p, TFD_TIMER_ABSTIME, &ip, NULL))
		zdtm_fail("timerfd_settime: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(settime_flags(a) == 3 && settime_flags(p) == 1, "settime flags %o and %o, expected 3 and 1",
		   settime_flags(a), settime_flags(p));
	got = expiry_of(a, &iv, &spread);
	zdtm_check(iv == 0, "A has an interval of %lld ns", iv);
	zdtm_check(llabs(got - e) < 2000000 + spread, "A expires at %lld, %+lld ns from the %lld it was set to", got,
		   got - e, e);
	n = 0;
	errno = 0;
	zdtm_check(read(a, &n, 8) == -1 && errno == EAGAIN, "A fired (%llu, %m)", (unsigned long long)n);

	pfd.fd = p;
	pfd.events = POLLIN;
	zdtm_check(poll(&pfd, 1, 1500) == 1, "P did not fire");
	got = expiry_of(p, &iv, &spread);
	zdtm_check(iv == PERIOD, "P interval %lld ns", iv);
	off = (got - f) % PERIOD;
	if (off > PERIOD / 2)
		off -= PERIOD;
	zdtm_check(got > f && llabs(off) < 2000000 + spread, "P expires next at %lld: %+lld ns off its phase", got, off);
	now = realtime_ns();
	n = 0;
	zdtm_check(read(p, &n, 8) == 8, "read P: %m");
	expect = (now - f) / PERIOD + 1;
	zdtm_check((long long)n >= expect - 1 && (long long)n <= expect + 1, "P counted %llu expirations, expected %lld",
		   (unsigned long long)n, expect);
	zdtm_finish();
}
