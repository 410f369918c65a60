/*
 * thread_cond_timedwait: threads in pthread_cond_timedwait on a CLOCK_MONOTONIC condition
 * variable: timeouts still end the waits after restore, never early, and no wait ends
 * without a reason.
 *
 * State: one mutex and a condattr-CLOCK_MONOTONIC condition variable. Thread A waits with a
 * deadline 1.5 s after set-up; B with a deadline 1000 s away (on a predicate); C loops on
 * 300 ms timed waits, counting timeouts. Nobody signals before SIGTERM.
 * Check after SIGTERM: A returned ETIMEDOUT, not before its deadline (CLOCK_MONOTONIC), or
 * does so within 3 s; B is still waiting (no return at all: no spurious wake-up was seen as
 * a return with the predicate false, no early ETIMEDOUT); C's waits all returned ETIMEDOUT
 * no earlier than their deadlines, at least one of them since ready, and C still cycles
 * (two more timeouts within 2 s). Then B is signalled with the predicate set: it returns 0
 * at once; C is told to stop.
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int pred, stop;
static volatile int a_ret = -1, a_early, b_ret = -1, b_wakes, c_early, c_bad, c_stopped;
static volatile long c_timeouts;
static uint64_t a_deadline;

static struct timespec ts_of(uint64_t ns)
{
	struct timespec t = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	return t;
}

static void *ta(void *x)
{
	struct timespec d = ts_of(a_deadline);
	int r;
	(void)x;
	pthread_mutex_lock(&mu);
	do
		r = pthread_cond_timedwait(&cv, &mu, &d);
	while (r == 0);	/* nobody signals: a 0 is a spurious wake-up, POSIX allows it */
	if (zdtm_now_ns() < a_deadline)
		a_early = 1;
	a_ret = r;
	/* Stays until the end: a thread that ended on its own mid-run would change the tree the
	 * runner compares across checkpoints. */
	while (!stop)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *tb(void *x)
{
	struct timespec d = ts_of(zdtm_now_ns() + 1000ull * 1000000000ull);
	int r = 0;
	(void)x;
	pthread_mutex_lock(&mu);
	while (!pred && r == 0) {
		r = pthread_cond_timedwait(&cv, &mu, &d);
		if (r == 0 && !pred)
			b_wakes++;
	}
	b_ret = r;
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *tc(void *x)
{
	(void)x;
	pthread_mutex_lock(&mu);
	while (!stop) {
		uint64_t dl = zdtm_now_ns() + 300000000ull;
		struct timespec d = ts_of(dl);
		int r = pthread_cond_timedwait(&cv, &mu, &d);
		if (r == ETIMEDOUT) {
			if (zdtm_now_ns() < dl)
				c_early++;
			c_timeouts++;
		} else if (r != 0)
			c_bad = r;
	}
	c_stopped = 1;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_condattr_t ca;
	pthread_t a, b, c;
	long n0, n1;
	int i, clk = -1;

	zdtm_init(argc, argv);
	pthread_condattr_init(&ca);
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) || pthread_cond_init(&cv, &ca))
		zdtm_fail("condattr");
	a_deadline = zdtm_now_ns() + 1500000000ull;
	if (pthread_create(&a, NULL, ta, NULL) || pthread_create(&b, NULL, tb, NULL) || pthread_create(&c, NULL, tc, NULL))
		zdtm_fail("pthread_create");
	zdtm_sleep_ms(100);
	pthread_mutex_lock(&mu);
	n0 = c_timeouts;
	pthread_mutex_unlock(&mu);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 300 && a_ret < 0; i++)
		zdtm_sleep_ms(10);
	zdtm_check(a_ret == ETIMEDOUT, "A: returned %d (%s), expected ETIMEDOUT", a_ret, a_ret > 0 ? strerror(a_ret) : "still waiting");
	zdtm_check(!a_early, "A: timed out before its deadline");
	zdtm_check(pthread_condattr_getclock(&ca, (clockid_t *)&clk) == 0 && clk == CLOCK_MONOTONIC, "condattr clock %d", clk);
	pthread_mutex_lock(&mu);
	zdtm_check(b_ret == -1, "B: returned %d before it was signalled", b_ret);
	n1 = c_timeouts;
	zdtm_check(n1 > n0, "C: no timeout since ready (%ld, %ld at ready)", n1, n0);
	pthread_mutex_unlock(&mu);
	zdtm_sleep_ms(2000);
	pthread_mutex_lock(&mu);
	zdtm_check(c_timeouts >= n1 + 2, "C: %ld timeouts in 2 s after SIGTERM, expected at least 2", c_timeouts - n1);
	zdtm_check(!c_early && !c_bad, "C: %d waits ended early, error %d", c_early, c_bad);
	pred = 1;
	stop = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < 200 && (b_ret < 0 || !c_stopped); i++)
		zdtm_sleep_ms(10);
	zdtm_check(b_ret == 0, "B: returned %d after the signal, expected 0", b_ret);
	zdtm_log("B saw %d spurious wake-ups; C %ld timeouts", b_wakes, (long)c_timeouts);
	zdtm_check(c_stopped, "C did not stop");
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	pthread_join(c, NULL);
	zdtm_finish();
}
