/*
 * transition_thread_spawners: several threads creating threads at once while amber seizes them.
 *
 * State: four spawner threads each run a tight loop that starts a short-lived thread and joins
 * it, every fourth one detached instead (it reports back through a counter), so at any moment
 * threads are being cloned by several parents in parallel while the freeze walks the thread
 * list, and new ones appear the whole time it does.
 * Check after SIGTERM: every joined thread ran exactly once and returned the value of its
 * argument (recomputed), and its TID was new (none equal to its spawner's or the main
 * thread's); every detached thread ran exactly once (a per-spawner bitmap of sequence numbers,
 * every bit set once and only once) and all of them finished; each spawner made progress after
 * SIGTERM and after zdtm_ready; only the main thread is left at the end.
 */
#include "zdtm.h"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPAWNERS 4
#define MAXDET (1 << 20)	/* detached threads tracked per spawner */

struct job {
	uint64_t arg, out;
	pid_t tid;
	int runs;
};

struct spawner {
	pthread_t t;
	int idx;
	pid_t tid;
	uint64_t joined, detached, bad;
	uint64_t det_started;			/* written by the spawner */
	uint64_t det_done;			/* atomically, by the detached threads */
	uint8_t *det_runs;			/* run count per detached sequence number */
};

static struct spawner sp[SPAWNERS];
static pid_t main_tid;
static volatile int stop;
static pthread_attr_t joinable, detached;

static uint64_t work_value(uint64_t arg)
{
	uint64_t v = arg;
	for (int i = 0; i < 300; i++)
		v = zdtm_mix64(v + i);
	return v;
}

static void *joined_thread(void *p)
{
	struct job *j = p;
	j->tid = gettid();
	j->runs++;
	j->out = work_value(j->arg);
	return j;
}

struct det {
	struct spawner *s;
	uint64_t seq;
};

static void *detached_thread(void *p)
{
	struct det d = *(struct det *)p;
	free(p);
	if (gettid() == d.s->tid || gettid() == main_tid)
		__atomic_add_fetch(&d.s->bad, 1, __ATOMIC_SEQ_CST);
	if (d.seq < MAXDET)
		__atomic_add_fetch(&d.s->det_runs[d.seq], 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&d.s->det_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int create(pthread_t *t, pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	int e;
	while ((e = pthread_create(t, a, fn, arg)) == EAGAIN)
		usleep(200);
	return e;
}

static void *spawn_loop(void *p)
{
	struct spawner *s = p;
	s->tid = gettid();
	for (uint64_t round = 0; !__atomic_load_n(&stop, __ATOMIC_SEQ_CST); round++) {
		pthread_t t;
		if (round % 4 == 3 && s->det_started < MAXDET) {
			struct det *d = xmalloc(sizeof(*d));
			d->s = s;
			d->seq = s->det_started;
			if (create(&t, &detached, detached_thread, d))
				zdtm_fail("pthread_create detached: %m");
			s->det_started++;
			continue;
		}
		struct job j = { .arg = ((uint64_t)s->idx << 48) ^ (round * 0x9e3779b97f4a7c15ULL) };
		void *ret;
		if (create(&t, &joinable, joined_thread, &j))
			zdtm_fail("pthread_create: %m");
		if (pthread_join(t, &ret) || ret != &j || j.runs != 1 || j.out != work_value(j.arg) ||
		    j.tid == s->tid || j.tid == main_tid || j.tid <= 0) {
			if (__atomic_add_fetch(&s->bad, 1, __ATOMIC_SEQ_CST) < 5)
				zdtm_log("spawner %d round %llu: runs %d, tid %d, out %llx", s->idx,
					 (unsigned long long)round, j.runs, j.tid, (unsigned long long)j.out);
		}
		__atomic_add_fetch(&s->joined, 1, __ATOMIC_SEQ_CST);
	}
	return s;
}

static int tasks(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	uint64_t at_ready[SPAWNERS], at_term[SPAWNERS];
	sigset_t term;

	zdtm_init(argc, argv);
	main_tid = gettid();
	pthread_attr_init(&joinable);
	pthread_attr_setstacksize(&joinable, 64 << 10);
	pthread_attr_init(&detached);
	pthread_attr_setstacksize(&detached, 64 << 10);
	pthread_attr_setdetachstate(&detached, PTHREAD_CREATE_DETACHED);
	/* Only the main thread takes SIGTERM (threads inherit the mask). */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	for (int i = 0; i < SPAWNERS; i++) {
		sp[i].idx = i;
		sp[i].det_runs = xmalloc(MAXDET);
		memset(sp[i].det_runs, 0, MAXDET);
		if (pthread_create(&sp[i].t, NULL, spawn_loop, &sp[i]))
			zdtm_fail("pthread_create: %m");
	}
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	for (int i = 0; i < SPAWNERS; i++) {
		while (__atomic_load_n(&sp[i].joined, __ATOMIC_SEQ_CST) < 10)
			usleep(1000);
		at_ready[i] = __atomic_load_n(&sp[i].joined, __ATOMIC_SEQ_CST);
	}
	zdtm_ready();
	zdtm_wait_for_term();
	for (int i = 0; i < SPAWNERS; i++)
		at_term[i] = __atomic_load_n(&sp[i].joined, __ATOMIC_SEQ_CST);
	for (int i = 0; i < SPAWNERS; i++)
		for (int w = 0; w < 10000 && __atomic_load_n(&sp[i].joined, __ATOMIC_SEQ_CST) <= at_term[i]; w++)
			usleep(1000);
	__atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < SPAWNERS; i++) {
		struct spawner *s = &sp[i];
		void *ret;
		if (pthread_join(s->t, &ret) || ret != s)
			zdtm_fail("join spawner %d", i);
		/* The detached ones finish on their own: wait for them (10 s at most). */
		for (int w = 0; w < 10000 && __atomic_load_n(&s->det_done, __ATOMIC_SEQ_CST) < s->det_started; w++)
			usleep(1000);
		uint64_t done = __atomic_load_n(&s->det_done, __ATOMIC_SEQ_CST), once = 0, other = 0;
		for (uint64_t k = 0; k < s->det_started; k++) {
			if (s->det_runs[k] == 1)
				once++;
			else if (other++ < 3)
				zdtm_log("spawner %d: detached thread %llu ran %d times", i, (unsigned long long)k,
					 s->det_runs[k]);
		}
		for (uint64_t k = s->det_started; k < MAXDET; k++)
			if (s->det_runs[k] && other++ < 3)
				zdtm_log("spawner %d: detached thread %llu ran but was never started", i,
					 (unsigned long long)k);
		zdtm_log("spawner %d: %llu joined (%llu at ready, %llu at SIGTERM), %llu detached", i,
			 (unsigned long long)s->joined, (unsigned long long)at_ready[i],
			 (unsigned long long)at_term[i], (unsigned long long)s->det_started);
		zdtm_check(s->bad == 0, "spawner %d: %llu threads went wrong", i, (unsigned long long)s->bad);
		zdtm_check(done == s->det_started, "spawner %d: %llu of %llu detached threads finished", i,
			   (unsigned long long)done, (unsigned long long)s->det_started);
		zdtm_check(once == s->det_started && other == 0, "spawner %d: %llu detached threads ran once, %llu not",
			   i, (unsigned long long)once, (unsigned long long)other);
		zdtm_check(s->joined > at_term[i], "spawner %d: no thread after SIGTERM", i);
		zdtm_check(at_term[i] > at_ready[i], "spawner %d: no thread after zdtm_ready", i);
	}
	/* Detached threads may still be in their last steps of exiting. */
	for (int w = 0; w < 5000 && tasks() != 1; w++)
		usleep(1000);
	zdtm_check(tasks() == 1, "%d tasks left, expected 1", tasks());
	zdtm_finish();
}
