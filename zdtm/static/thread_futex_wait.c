/*
 * thread_futex_wait: threads asleep on futexes through the pthread primitives.
 *
 * State (every thread blocks SIGTERM):
 *   T1 in pthread_cond_wait() on a condition whose predicate is false;
 *   T2 in pthread_mutex_lock() on a mutex the main thread holds;
 *   T3 in sem_wait() on a semaphore at 0;
 *   T4 in pthread_barrier_wait() on a barrier of 2 (the main thread is the other party);
 *   T5 in pthread_rwlock_wrlock() on a rwlock the main thread holds for reading.
 * Each records the wakeups it saw (spurious cond wakeups are counted, not failures).
 * Check after SIGTERM: no thread got past its wait; then the main thread releases each
 * one in turn (predicate + signal, unlock, sem_post, barrier, unlock) and each thread must
 * come out within 5 s with the state it was released with (the predicate value, the mutex
 * owned, the semaphore at 0 again, PTHREAD_BARRIER_SERIAL_THREAD for exactly one side, the
 * write lock held) and return 42. sem_getvalue is 0 before the post.
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t cmx = PTHREAD_MUTEX_INITIALIZER, held = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t bar;
static sem_t sem;
static volatile int predicate, spurious, entered[6], passed[6], bar_serial;

static void *t1(void *a)
{
	(void)a;
	pthread_mutex_lock(&cmx);
	entered[1] = 1;
	while (!predicate) {
		pthread_cond_wait(&cond, &cmx);
		if (!predicate)
			spurious++;
	}
	passed[1] = 1;
	pthread_mutex_unlock(&cmx);
	return (void *)(intptr_t)(predicate == 0x5eed ? 42 : 1);
}

static void *t2(void *a)
{
	int r;
	(void)a;
	entered[2] = 1;
	r = pthread_mutex_lock(&held);
	passed[2] = 1;
	if (r)
		return (void *)1;
	r = pthread_mutex_trylock(&held) == EBUSY;	/* we own it now */
	pthread_mutex_unlock(&held);
	return (void *)(intptr_t)(r ? 42 : 2);
}

static void *t3(void *a)
{
	int v = -1;
	(void)a;
	entered[3] = 1;
	while (sem_wait(&sem) && errno == EINTR)
		;
	passed[3] = 1;
	sem_getvalue(&sem, &v);
	return (void *)(intptr_t)(v == 0 ? 42 : 1);
}

static void *t4(void *a)
{
	int r;
	(void)a;
	entered[4] = 1;
	r = pthread_barrier_wait(&bar);
	passed[4] = 1;
	if (r == PTHREAD_BARRIER_SERIAL_THREAD)
		bar_serial++;
	return (void *)(intptr_t)(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD ? 42 : 1);
}

static void *t5(void *a)
{
	int r;
	(void)a;
	entered[5] = 1;
	r = pthread_rwlock_wrlock(&rw);
	passed[5] = 1;
	if (r)
		return (void *)1;
	r = pthread_rwlock_tryrdlock(&rw);	/* must fail: we hold it for writing */
	pthread_rwlock_unlock(&rw);
	return (void *)(intptr_t)(r == EBUSY || r == EDEADLK ? 42 : 2);
}

static int join_within(pthread_t t, int secs, void **ret)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return pthread_timedjoin_np(t, ret, &ts);
}

int main(int argc, char **argv)
{
	void *(*fns[6])(void *) = { NULL, t1, t2, t3, t4, t5 };
	pthread_t th[6];
	sigset_t term, old;
	void *ret;
	int i, r, v = -1;

	zdtm_init(argc, argv);
	if (sem_init(&sem, 0, 0) || pthread_barrier_init(&bar, NULL, 2))
		zdtm_fail("sem/barrier init: %m");
	pthread_mutex_lock(&held);
	if (pthread_rwlock_rdlock(&rw))
		zdtm_fail("rdlock failed");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 1; i <= 5; i++)
		if (pthread_create(&th[i], NULL, fns[i], NULL))
			zdtm_fail("pthread_create %d failed", i);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 1; i <= 5; i++)
		while (!entered[i])
			zdtm_sleep_ms(1);
	zdtm_sleep_ms(100);	/* let them reach the kernel */

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 1; i <= 5; i++)
		zdtm_check(!passed[i], "T%d got past its wait before it was released", i);
	if (spurious)
		zdtm_log("T1 saw %d spurious condition wakeups", spurious);
	sem_getvalue(&sem, &v);
	zdtm_check(v == 0, "semaphore value %d, expected 0", v);

	pthread_mutex_lock(&cmx);
	predicate = 0x5eed;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&cmx);
	pthread_mutex_unlock(&held);
	sem_post(&sem);
	r = pthread_barrier_wait(&bar);
	if (r == PTHREAD_BARRIER_SERIAL_THREAD)
		bar_serial++;
	zdtm_check(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD, "main: barrier wait returned %d", r);
	pthread_rwlock_unlock(&rw);

	for (i = 1; i <= 5; i++) {
		ret = NULL;
		r = join_within(th[i], 5, &ret);
		if (!zdtm_check(r == 0, "T%d did not come out of its wait within 5 s of its release (%s)", i,
				strerror(r)))
			continue;
		zdtm_check(ret == (void *)42, "T%d returned %ld", i, (long)(intptr_t)ret);
	}
	zdtm_check(bar_serial == 1, "%d barrier waiters got PTHREAD_BARRIER_SERIAL_THREAD", bar_serial);
	zdtm_finish();
}
