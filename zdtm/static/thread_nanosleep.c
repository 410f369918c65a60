/*
 * thread_nanosleep: threads asleep in the kernel's different kinds of timed sleep.
 *
 * State (all threads block SIGTERM; SIGUSR1 has a handler without SA_RESTART):
 *   T1 nanosleep() for 1000 s (relative, restart block)
 *   T2 clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) until start + 1000 s
 *   T3 poll() on no fds for 1000 s
 *   T4 select() with no fds and a 1000 s timeout
 *   T5 a loop of 700 ms CLOCK_REALTIME relative clock_nanosleep()s, counting completions
 *      and checking that none was cut short or interrupted.
 * Check after SIGTERM: T1-T4 have not returned; T5 keeps completing sleeps (two within
 * 2.5 s) and never saw EINTR or a short sleep. Then each of T1-T4 gets SIGUSR1 via
 * pthread_kill and must come back within 5 s with EINTR, having slept at least from its
 * start until the signal; T1's remaining time is at most 1000 s and no less than 1000 s
 * minus the time it was asleep; T4's select() timeout left is likewise sane.
 */
#include "zdtm.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define LONG_S 1000

struct sleeper {
	pthread_t t;
	volatile int started, returned, ret, err;
	volatile uint64_t t_start, t_end;
	struct timespec rem;
	struct timeval tv;
};

static struct sleeper s[6];
static volatile int stop5, t5_done, t5_bad;
static __thread volatile int usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

static void *sleeper(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct sleeper *me = &s[i];
	struct timespec ts;

	me->t_start = zdtm_now_ns();
	me->started = 1;
	switch (i) {
	case 1:
		ts.tv_sec = LONG_S;
		ts.tv_nsec = 0;
		me->ret = nanosleep(&ts, &me->rem);
		me->err = errno;
		break;
	case 2:
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += LONG_S;
		me->ret = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		me->err = me->ret;
		break;
	case 3:
		me->ret = poll(NULL, 0, LONG_S * 1000);
		me->err = errno;
		break;
	case 4:
		me->tv.tv_sec = LONG_S;
		me->tv.tv_usec = 0;
		me->ret = select(0, NULL, NULL, NULL, &me->tv);
		me->err = errno;
		break;
	}
	me->t_end = zdtm_now_ns();
	me->returned = 1;
	return (void *)(intptr_t)usr1_seen;
}

static void *looper(void *arg)
{
	struct timespec ts = { 0, 700 * 1000 * 1000 };
	(void)arg;
	s[5].started = 1;
	while (!stop5) {
		uint64_t t0 = zdtm_now_ns();
		int r = clock_nanosleep(CLOCK_REALTIME, 0, &ts, NULL);
		if (r || zdtm_now_ns() - t0 < 700ULL * 1000 * 1000 - 1000)
			t5_bad++;
		else
			t5_done++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t term, old;
	uint64_t t_sig[5];
	int i, done_at_term;
	void *ret;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 1; i <= 4; i++)
		if (pthread_create(&s[i].t, NULL, sleeper, (void *)(intptr_t)i))
			zdtm_fail("pthread_create failed");
	if (pthread_create(&s[5].t, NULL, looper, NULL))
		zdtm_fail("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 1; i <= 5; i++)
		while (!s[i].started)
			zdtm_sleep_ms(1);
	zdtm_sleep_ms(50);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 1; i <= 4; i++)
		zdtm_check(!s[i].returned, "T%d returned from its sleep early: ret %d, %s", i, s[i].ret,
			   strerror(s[i].err));
	done_at_term = t5_done;
	for (i = 0; i < 250 && t5_done < done_at_term + 2; i++)
		zdtm_sleep_ms(10);
	zdtm_check(t5_done >= done_at_term + 2, "T5 completed %d sleeps in 2.5 s, expected 2",
		   t5_done - done_at_term);
	zdtm_check(t5_bad == 0, "T5 saw %d interrupted or short sleeps", t5_bad);
	stop5 = 1;

	for (i = 1; i <= 4; i++) {
		int j;
		t_sig[i] = zdtm_now_ns();
		pthread_kill(s[i].t, SIGUSR1);
		for (j = 0; j < 500 && !s[i].returned; j++)
			zdtm_sleep_ms(10);
		if (!zdtm_check(s[i].returned, "T%d did not return within 5 s of SIGUSR1", i))
			continue;
		ret = NULL;
		pthread_join(s[i].t, &ret);
		zdtm_check(ret == (void *)1, "T%d ran its SIGUSR1 handler %ld times", i, (long)(intptr_t)ret);
		zdtm_check(s[i].ret == (i == 2 ? EINTR : -1) && s[i].err == EINTR, "T%d: returned %d (%s), expected EINTR",
			   i, s[i].ret, strerror(s[i].err));
		zdtm_check(s[i].t_end >= t_sig[i], "T%d returned before the signal", i);
	}
	if (s[1].returned) {
		double slept = (s[1].t_end - s[1].t_start) / 1e9;
		double rem = s[1].rem.tv_sec + s[1].rem.tv_nsec / 1e9;
		zdtm_check(rem <= LONG_S && rem >= LONG_S - slept - 0.5,
			   "T1: %.3f s remaining after %.3f s asleep", rem, slept);
	}
	if (s[4].returned) {
		double slept = (s[4].t_end - s[4].t_start) / 1e9;
		double rem = s[4].tv.tv_sec + s[4].tv.tv_usec / 1e6;
		zdtm_check(rem <= LONG_S && rem >= LONG_S - slept - 0.5,
			   "T4: select left %.3f s after %.3f s asleep", rem, slept);
	}
	pthread_join(s[5].t, NULL);
	zdtm_finish();
}
