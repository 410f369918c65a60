/*
 * thread_sched_rt: realtime scheduling classes per thread, with reset-on-fork.
 *
 * State (each set by the thread on itself; all threads sleep, none spins):
 *   T1 SCHED_FIFO priority 7
 *   T2 SCHED_RR priority 3 with SCHED_RESET_ON_FORK
 *   T3 SCHED_BATCH with SCHED_RESET_ON_FORK, nice 6
 *   T4 SCHED_OTHER, nice -4
 *   main thread SCHED_OTHER nice 2.
 * Check after SIGTERM: sched_getscheduler() on each tid returns the policy with the
 * reset-on-fork bit as set, sched_getparam() the priority, getpriority(PRIO_PROCESS, tid)
 * the nice value; the policy field (41) of /proc/self/task/TID/stat agrees.
 * T2 then forks: the child must come up SCHED_OTHER priority 0 (reset on fork works).
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

struct worker {
	pthread_t t;
	int policy, prio, nice;	/* policy may include SCHED_RESET_ON_FORK */
	volatile pid_t tid;
	volatile int started, stop, err, fork_policy;
};

static struct worker w[5] = {
	{ .policy = SCHED_OTHER, .prio = 0, .nice = 2 },	/* main */
	{ .policy = SCHED_FIFO, .prio = 7, .nice = 0 },
	{ .policy = SCHED_RR | SCHED_RESET_ON_FORK, .prio = 3, .nice = 0 },
	{ .policy = SCHED_BATCH | SCHED_RESET_ON_FORK, .prio = 0, .nice = 6 },
	{ .policy = SCHED_OTHER, .prio = 0, .nice = -4 },
};

static int apply(struct worker *me)
{
	struct sched_param p = { .sched_priority = me->prio };
	if (sched_setscheduler(0, me->policy, &p))
		return errno;
	if (setpriority(PRIO_PROCESS, 0, me->nice))
		return errno;
	return 0;
}

static void *run(void *arg)
{
	struct worker *me = arg;
	me->err = apply(me);
	me->tid = gettid();
	me->started = 1;
	while (!me->stop)
		zdtm_sleep_ms(20);
	if (me == &w[2]) {	/* fork from the reset-on-fork RR thread */
		pid_t c = fork();
		int st = 0;
		if (c == 0) {
			struct sched_param p = { -1 };
			sched_getparam(0, &p);
			_exit(sched_getscheduler(0) == SCHED_OTHER && p.sched_priority == 0 ? 42 : 1);
		}
		if (c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st))
			me->fork_policy = WEXITSTATUS(st);
	}
	return NULL;
}

static int stat_policy(pid_t tid)
{
	char path[64], buf[2048], *p;
	int i;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strrchr(buf, ')');
	for (i = 2; p && i < 41; i++) {	/* p points before field i+1 */
		p = strchr(p + 1, ' ');
	}
	return p ? atoi(p + 1) : -1;
}

static void check(int i)
{
	struct worker *x = &w[i];
	struct sched_param p = { -1 };
	int pol, nice;

	pol = sched_getscheduler(x->tid);
	zdtm_check(pol == x->policy, "T%d (tid %d): policy %#x, expected %#x", i, x->tid, pol, x->policy);
	sched_getparam(x->tid, &p);
	zdtm_check(p.sched_priority == x->prio, "T%d: priority %d, expected %d", i, p.sched_priority, x->prio);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, x->tid);
	zdtm_check(errno == 0 && nice == x->nice, "T%d: nice %d, expected %d", i, nice, x->nice);
	zdtm_check(stat_policy(x->tid) == (x->policy & ~SCHED_RESET_ON_FORK), "T%d: /proc stat policy %d", i,
		   stat_policy(x->tid));
}

int main(int argc, char **argv)
{
	sigset_t term, old;
	int i, e;

	zdtm_init(argc, argv);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 1; i < 5; i++)
		if (pthread_create(&w[i].t, NULL, run, &w[i]))
			zdtm_fail("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if ((e = apply(&w[0])))
		zdtm_fail("main thread scheduling: %s", strerror(e));
	w[0].tid = gettid();
	for (i = 1; i < 5; i++) {
		while (!w[i].started)
			zdtm_sleep_ms(1);
		if (w[i].err)
			zdtm_fail("T%d could not set its scheduling: %s", i, strerror(w[i].err));
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 5; i++)
		check(i);
	for (i = 1; i < 5; i++) {
		w[i].stop = 1;
		pthread_join(w[i].t, NULL);
	}
	zdtm_check(w[2].fork_policy == 42, "a child forked by T2 did not come up SCHED_OTHER priority 0 (%d)",
		   w[2].fork_policy);
	zdtm_finish();
}
