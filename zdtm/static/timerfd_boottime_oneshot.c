/*
 * timerfd_boottime_oneshot: one-shot CLOCK_BOOTTIME timerfds whose expiry falls during or
 * after the checkpoints fire exactly once, never early, and stay disarmed.
 *
 * State: L armed at t0 (CLOCK_BOOTTIME, taken just before) to fire once 2 s later; S armed
 * to fire once after 300 ms (it may fire before the first dump, or while the test is
 * checkpointed); both TFD_NONBLOCK.
 * Check after SIGTERM (at t1): if t1 - t0 < 2 s, L is not readable yet, and waiting for it
 * (poll, up to 3 s) it becomes readable no earlier than t0 + 2 s and no later than 100 ms
 * after; if t1 - t0 is past 2 s, L is readable at once. Then read() of each gives exactly 1,
 * a second read() EAGAIN, timerfd_gettime no value and no interval, and neither fires
 * again within 300 ms. fdinfo clockid is CLOCK_BOOTTIME for both.
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
#define LONG_NS (2 * NSEC)

static long long boottime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static int clockid_of(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "clockid:");
	return p ? atoi(p + 8) : -1;
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void check_fired_once(const char *name, int fd)
{
	struct itimerspec g;
	uint64_t n = 0;
	zdtm_check(read(fd, &n, 8) == 8 && n == 1, "%s: read gave %llu (%m), expected exactly 1", name,
		   (unsigned long long)n);
	errno = 0;
	zdtm_check(read(fd, &n, 8) == -1 && errno == EAGAIN, "%s: a second read did not give EAGAIN (%m)", name);
	timerfd_gettime(fd, &g);
	zdtm_check(!g.it_value.tv_sec && !g.it_value.tv_nsec && !g.it_interval.tv_sec && !g.it_interval.tv_nsec,
		   "%s: still armed (%ld.%09ld left, interval %ld.%09ld)", name, (long)g.it_value.tv_sec,
		   g.it_value.tv_nsec, (long)g.it_interval.tv_sec, g.it_interval.tv_nsec);
}

int main(int argc, char **argv)
{
	struct itimerspec il = { { 0, 0 }, { 2, 0 } }, is = { { 0, 0 }, { 0, 300000000 } };
	long long t0, t1, at;
	int l, s;

	zdtm_init(argc, argv);
	l = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	s = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	if (l < 0 || s < 0)
		zdtm_fail("timerfd_create: %m");
	t0 = boottime_ns();
	if (timerfd_settime(l, 0, &il, NULL) || timerfd_settime(s, 0, &is, NULL))
		zdtm_fail("timerfd_settime: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	t1 = boottime_ns();
	zdtm_log("SIGTERM %.3f s after arming", (t1 - t0) / 1e9);
	zdtm_check(clockid_of(l) == CLOCK_BOOTTIME && clockid_of(s) == CLOCK_BOOTTIME, "clock ids %d %d", clockid_of(l),
		   clockid_of(s));
	if (t1 - t0 < LONG_NS) {
		zdtm_check(!readable(l, 0), "L fired %.3f s after arming, before its 2 s", (t1 - t0) / 1e9);
		zdtm_check(readable(l, 3000), "L never fired");
		at = boottime_ns();
		zdtm_check(at - t0 >= LONG_NS && at - t0 < LONG_NS + 100000000LL, "L fired %.3f s after arming, expected 2 s",
			   (at - t0) / 1e9);
	} else {
		zdtm_check(readable(l, 0), "L has not fired %.3f s after arming", (t1 - t0) / 1e9);
	}
	zdtm_check(t1 - t0 < 300000000LL || readable(s, 0), "S has not fired %.3f s after arming", (t1 - t0) / 1e9);
	zdtm_check(readable(s, 1000), "S never fired");
	check_fired_once("L", l);
	check_fired_once("S", s);
	zdtm_check(!readable(l, 300) && !readable(s, 0), "a one-shot timer fired twice");
	zdtm_finish();
}
