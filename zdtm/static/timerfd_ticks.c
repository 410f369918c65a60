/*
 * timerfd_ticks: a periodic timerfd whose expirations were never read. The kernel stops such
 * a timer after its first expiry until it is read, and its fdinfo then shows one tick and no
 * time left (CRIU brings it back disarmed). It must come back counting every period that
 * passed, checkpoints included, and still periodic, in phase.
 *
 * State: T a CLOCK_MONOTONIC timerfd (blocking), first expiry and interval 100 ms, armed at
 * t0 (taken just before timerfd_settime); then 350 ms of sleep, and T is never read nor
 * queried before SIGTERM.
 * Check after SIGTERM (at t1, read right after the count): read() gives between
 * floor((t1 - t0) / 100 ms) - 1 and that + 1 expirations (at least 3); timerfd_gettime gives a
 * 100 ms interval and a time left in (0, 100 ms] that matches the phase of t0 within 5 ms;
 * fdinfo shows ticks 0 after the read; T then fires again within 150 ms (poll) and
 * read() gives 1 or 2; flags (blocking, no FD_CLOEXEC) and clock are kept.
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

#define PERIOD 100000000LL

static long long fdinfo_field(int fd, const char *name)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, name);
	return p ? atoll(p + strlen(name)) : -1;
}

static long long ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

int main(int argc, char **argv)
{
	struct itimerspec a = { { 0, PERIOD }, { 0, PERIOD } }, g;
	struct pollfd p;
	long long t0, t1, expect, left, phase_left;
	uint64_t n = 0;
	int fd;

	zdtm_init(argc, argv);
	fd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (fd < 0)
		zdtm_fail("timerfd_create: %m");
	t0 = zdtm_now_ns();
	if (timerfd_settime(fd, 0, &a, NULL))
		zdtm_fail("timerfd_settime: %m");
	zdtm_sleep_ms(350);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fdinfo_field(fd, "clockid:") == CLOCK_MONOTONIC, "clock id %lld", fdinfo_field(fd, "clockid:"));
	zdtm_check(!(fcntl(fd, F_GETFL) & O_NONBLOCK) && !(fcntl(fd, F_GETFD) & FD_CLOEXEC), "flags changed");
	p.fd = fd;
	p.events = POLLIN;
	zdtm_check(poll(&p, 1, 0) == 1, "T is not readable: its expirations were lost");
	if (!zdtm_check(read(fd, &n, 8) == 8, "read: %m"))
		zdtm_finish();
	t1 = zdtm_now_ns();
	expect = (t1 - t0) / PERIOD;
	zdtm_check(expect >= 3 && (long long)n >= expect - 1 && (long long)n <= expect + 1,
		   "read %llu expirations, %lld periods went by since the timer was armed", (unsigned long long)n, expect);
	zdtm_log("%llu expirations in %.3f s", (unsigned long long)n, (t1 - t0) / 1e9);
	zdtm_check(fdinfo_field(fd, "ticks:") == 0, "fdinfo ticks %lld after the read", fdinfo_field(fd, "ticks:"));

	timerfd_gettime(fd, &g);
	t1 = zdtm_now_ns();
	left = ns(&g.it_value);
	phase_left = PERIOD - (t1 - t0) % PERIOD;
	zdtm_check(ns(&g.it_interval) == PERIOD, "interval %lld ns, expected %lld", ns(&g.it_interval), PERIOD);
	zdtm_check(left > 0 && left <= PERIOD, "time left %lld ns: the timer is not armed periodic", left);
	/* Compare on the circle of one period (either may have wrapped). */
	{
		long long d = llabs(left - phase_left);
		if (d > PERIOD / 2)
			d = PERIOD - d;
		zdtm_check(d < 5000000, "time left %lld ns, the phase of the arming says %lld ns", left, phase_left);
	}
	zdtm_check(poll(&p, 1, 150) == 1, "T did not fire again within 150 ms");
	n = 0;
	zdtm_check(read(fd, &n, 8) == 8 && n >= 1 && n <= 2, "read %llu after the next period", (unsigned long long)n);
	zdtm_finish();
}
