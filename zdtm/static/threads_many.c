/*
 * threads_many: sixteen threads, each with its own TLS, stack data and work.
 *
 * State: 16 pthreads with SIGTERM blocked. Thread i keeps a __thread value derived from i,
 * a 3 KiB stack buffer with a pattern seeded by i and its tid. Threads 1, 5, 9 and 13 spin
 * (the others sleep in short nanosleeps) on an xorshift generator, checking every step that the value
 * equals one computed a second way (a copy advanced in lockstep) and counting steps.
 * Check after SIGTERM: /proc/self/task lists exactly the recorded tids; every thread is alive
 * with the same tid (gettid inside it); told to stop, each verifies its stack pattern, its
 * TLS value and (spinners) that no mismatch was seen and the steps kept counting after the
 * restore, and returns 1000 + i.
 */
#include "zdtm.h"
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 16
#define SPINS(i) ((i) % 4 == 1)

struct worker {
	pthread_t t;
	int idx;
	volatile pid_t tid;
	volatile int started, bad;
	volatile uint64_t steps;
};

static struct worker w[N];
static __thread uint64_t tls_val = 5;
static volatile int stop;

static uint64_t xorshift(uint64_t x)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static void *run(void *arg)
{
	struct worker *me = arg;
	uint8_t stackbuf[3072];
	uint64_t a, b;
	int rc = 1000 + me->idx;

	tls_val = zdtm_mix64(me->idx + 1);
	zdtm_fill(stackbuf, sizeof(stackbuf), 300 + me->idx);
	me->tid = gettid();
	a = b = me->idx + 12345;
	me->started = 1;
	while (!stop) {
		if (SPINS(me->idx)) {
			a = xorshift(a);
			b = xorshift(b);
			if (a != b) {
				me->bad++;
				b = a;
			}
			me->steps++;
		} else {
			zdtm_sleep_ms(5);
		}
	}
	if (zdtm_verify(stackbuf, sizeof(stackbuf), 300 + me->idx) >= 0)
		rc = 1;
	else if (tls_val != zdtm_mix64(me->idx + 1))
		rc = 2;
	else if (gettid() != me->tid)
		rc = 3;
	else if (me->bad)
		rc = 4;
	return (void *)(intptr_t)rc;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The tids of /proc/self/task, sorted; returns how many. */
static int list_tasks(int *out, int max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;
	if (!d)
		zdtm_fail("opendir /proc/self/task: %m");
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && n < max)
			out[n++] = atoi(e->d_name);
	closedir(d);
	qsort(out, n, sizeof(int), cmp_int);
	return n;
}

int main(int argc, char **argv)
{
	int before[N + 8], after[N + 8], nb, na, i;
	uint64_t steps_ready[N];
	sigset_t term, old;
	void *ret;

	zdtm_init(argc, argv);
	tls_val = 0xfeed;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 0; i < N; i++) {
		w[i].idx = i;
		if (pthread_create(&w[i].t, NULL, run, &w[i]))
			zdtm_fail("pthread_create %d failed", i);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < N; i++)
		while (!w[i].started)
			zdtm_sleep_ms(1);
	nb = list_tasks(before, N + 8);
	if (nb != N + 1)
		zdtm_fail("%d tasks before the checkpoint, expected %d", nb, N + 1);

	zdtm_ready();
	zdtm_wait_for_term();

	na = list_tasks(after, N + 8);
	zdtm_check(na == nb && !memcmp(before, after, nb * sizeof(int)), "%d tasks now, %d before, or tids differ",
		   na, nb);
	for (i = 0; i < N; i++) {
		zdtm_check(pthread_kill(w[i].t, 0) == 0, "thread %d is gone", i);
		steps_ready[i] = w[i].steps;
	}
	/* Each spinner must move on; on a loaded machine it may wait its turn for a while (2 s). */
	for (i = 1; i < N; i += 4) {
		for (int waited = 0; w[i].steps == steps_ready[i] && waited < 2000; waited += 10)
			zdtm_sleep_ms(10);
		zdtm_check(w[i].steps > steps_ready[i], "spinning thread %d does not advance (%llu steps)", i,
			   (unsigned long long)w[i].steps);
	}
	stop = 1;
	for (i = 0; i < N; i++) {
		ret = NULL;
		pthread_join(w[i].t, &ret);
		zdtm_check(ret == (void *)(intptr_t)(1000 + i),
			   "thread %d (tid %d) returned %ld (1: stack pattern, 2: TLS, 3: tid, 4: mismatch)", i,
			   w[i].tid, (long)(intptr_t)ret);
	}
	zdtm_check(tls_val == 0xfeed, "main thread TLS %#llx", (unsigned long long)tls_val);
	zdtm_finish();
}
