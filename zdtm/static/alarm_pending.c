/*
 * alarm_pending: a one-shot alarm() far in the future.
 *
 * State: alarm(100) set at a recorded CLOCK_MONOTONIC time, with a SIGALRM handler that
 * counts; ITIMER_REAL is therefore one-shot (no interval). The test runs 1.5 s before it
 * says ready, then waits in 20 ms sleeps, adding up the gaps longer than 200 ms as time it
 * spent frozen (checkpointed).
 * Check after SIGTERM: no SIGALRM has arrived; getitimer(ITIMER_REAL) has a zero interval;
 * the remaining time is not less than 100 s minus the time since alarm() (the alarm did not
 * run fast) and not more than 100 s minus the time the test actually ran (the time frozen
 * may be left out, as checkpointers do, but the alarm was not re-armed from its full 100 s
 * at a restore); alarm(0) cancels it and returns the remaining time rounded to seconds.
 */
#include "zdtm.h"
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int n_alrm;

static void on_alrm(int sig)
{
	(void)sig;
	n_alrm++;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct sigaction sa;
	struct itimerval it;
	uint64_t t0, frozen = 0;
	double elapsed, ran, rem;
	unsigned left;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	t0 = zdtm_now_ns();
	alarm(100);
	zdtm_sleep_ms(1500);

	zdtm_ready();
	while (!zdtm_term_flag) {
		uint64_t a = zdtm_now_ns(), d;
		nanosleep(&tick, NULL);
		d = zdtm_now_ns() - a;
		if (d > 200 * 1000 * 1000ULL)
			frozen += d - 20 * 1000 * 1000ULL;
	}

	getitimer(ITIMER_REAL, &it);
	elapsed = (zdtm_now_ns() - t0) / 1e9;
	ran = elapsed - frozen / 1e9;
	rem = it.it_value.tv_sec + it.it_value.tv_usec / 1e6;
	zdtm_log("%.3f s remaining, %.3f s since alarm(), %.3f s of it frozen", rem, elapsed, frozen / 1e9);
	zdtm_check(n_alrm == 0, "SIGALRM arrived %d times", n_alrm);
	zdtm_check(it.it_interval.tv_sec == 0 && it.it_interval.tv_usec == 0, "the alarm got an interval: %ld.%06ld s",
		   (long)it.it_interval.tv_sec, (long)it.it_interval.tv_usec);
	zdtm_check(rem >= 100 - elapsed - 0.2, "%.3f s remaining %.3f s after alarm(100): it ran fast", rem, elapsed);
	zdtm_check(rem <= 100 - ran + 0.5, "%.3f s remaining after %.3f s of running: re-armed or stretched", rem, ran);
	left = alarm(0);
	zdtm_check(left >= (unsigned)rem && left <= (unsigned)rem + 1, "alarm(0) returned %u, getitimer said %.3f", left,
		   rem);
	zdtm_finish();
}
