/*
 * timerfd_held: timerfds armed and expiring: each comes back on its clock, with its flags,
 * its value and interval, and the timers keep running through the checkpoint (the periodic
 * one counts the periods that passed while the test was checkpointed).
 *
 * State: T1 a CLOCK_MONOTONIC timerfd, periodic 50 ms (TFD_NONBLOCK); T2 a CLOCK_REALTIME
 * timerfd armed once, absolute, one hour from now (TFD_CLOEXEC); T3 a CLOCK_BOOTTIME timerfd
 * that is disarmed.
 * Check after SIGTERM: timerfd_gettime gives T1 a 50 ms interval and a value in (0, 50 ms],
 * T2 no interval and between 3500 and 3600 s left, T3 zero; the fdinfo clockid of each is
 * as created; T1 has counted expirations (read() returns at least elapsed/50ms - 2 and at
 * most elapsed/50ms + 2), T2 and T3 have none (EAGAIN once made nonblocking); flags kept.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int clockid_of(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "clockid:");
	return p ? atoi(p + 8) : -1;
}

static double secs(const struct timespec *ts)
{
	return ts->tv_sec + ts->tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct itimerspec a = { { 0, 50000000 }, { 0, 50000000 } }, b = { { 0, 0 }, { 0, 0 } }, g;
	struct timespec now;
	uint64_t t0, n = 0;
	double el;
	int t1, t2, t3;

	zdtm_init(argc, argv);
	t1 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	t2 = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	t3 = timerfd_create(CLOCK_BOOTTIME, 0);
	if (t1 < 0 || t2 < 0 || t3 < 0)
		zdtm_fail("timerfd_create: %m");
	t0 = zdtm_now_ns();
	if (timerfd_settime(t1, 0, &a, NULL))
		zdtm_fail("timerfd_settime: %m");
	clock_gettime(CLOCK_REALTIME, &now);
	b.it_value.tv_sec = now.tv_sec + 3600;
	if (timerfd_settime(t2, TFD_TIMER_ABSTIME, &b, NULL))
		zdtm_fail("timerfd_settime: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(clockid_of(t1) == CLOCK_MONOTONIC && clockid_of(t2) == CLOCK_REALTIME &&
		   clockid_of(t3) == CLOCK_BOOTTIME, "clock ids %d %d %d", clockid_of(t1), clockid_of(t2), clockid_of(t3));
	zdtm_check((fcntl(t1, F_GETFL) & O_NONBLOCK) && (fcntl(t2, F_GETFD) & FD_CLOEXEC) &&
		   !(fcntl(t3, F_GETFL) & O_NONBLOCK), "timerfd flags changed");
	timerfd_gettime(t1, &g);
	zdtm_check(secs(&g.it_interval) == 0.05 && secs(&g.it_value) > 0 && secs(&g.it_value) <= 0.05,
		   "T1: interval %.6f value %.6f", secs(&g.it_interval), secs(&g.it_value));
	timerfd_gettime(t2, &g);
	zdtm_check(secs(&g.it_interval) == 0 && secs(&g.it_value) > 3500 && secs(&g.it_value) <= 3600,
		   "T2: interval %.3f value %.3f", secs(&g.it_interval), secs(&g.it_value));
	timerfd_gettime(t3, &g);
	zdtm_check(secs(&g.it_interval) == 0 && secs(&g.it_value) == 0, "T3 is armed");
	el = (zdtm_now_ns() - t0) / 5e7;
	zdtm_check(read(t1, &n, 8) == 8 && n + 2 >= el && n <= el + 2, "T1 counted %llu expirations in %.1f periods",
		   (unsigned long long)n, el);
	fcntl(t2, F_SETFL, O_NONBLOCK);
	fcntl(t3, F_SETFL, O_NONBLOCK);
	errno = 0;
	zdtm_check(read(t2, &n, 8) == -1 && errno == EAGAIN, "T2 expired (%m)");
	errno = 0;
	zdtm_check(read(t3, &n, 8) == -1 && errno == EAGAIN, "T3 expired (%m)");
	zdtm_finish();
}
