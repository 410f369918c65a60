/*
 * sched_nice_oom: per-thread scheduling and the process's OOM score adjustment.
 *
 * State: the main thread at nice 7; a second thread under SCHED_BATCH at nice -3
 * (set on itself, by tid); a third under SCHED_IDLE; /proc/self/oom_score_adj 321.
 * Check after SIGTERM: each thread reports the policy and nice it had (read with
 * sched_getscheduler/getpriority on its tid), and oom_score_adj reads 321.
 */

#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct worker { int policy, nice; pid_t tid; volatile int ready; };
static volatile int stop;

static void *run(void *arg)
{
	struct worker *w = arg;
	struct sched_param p = { 0 };

	w->tid = gettid();
	if (sched_setscheduler(0, w->policy, &p))
		zdtm_fail("sched_setscheduler(%d): %m", w->policy);
	if (setpriority(PRIO_PROCESS, 0, w->nice))
		zdtm_fail("setpriority(%d): %m", w->nice);
	w->ready = 1;
	while (!stop)
		usleep(10000);
	return NULL;
}

static void check_thread(const char *who, pid_t tid, int policy, int nice)
{
	errno = 0;
	int got_nice = getpriority(PRIO_PROCESS, tid);
	int got_policy = sched_getscheduler(tid);

	zdtm_check(got_policy == policy, "%s: policy %d, expected %d", who, got_policy, policy);
	zdtm_check(errno == 0 && got_nice == nice, "%s: nice %d, expected %d", who, got_nice, nice);
}

int main(int argc, char **argv)
{
	struct worker w[2] = { { SCHED_BATCH, -3 }, { SCHED_IDLE, 0 } };
	pthread_t th[2];
	char buf[32] = "";
	FILE *f;

	zdtm_init(argc, argv);
	if (setpriority(PRIO_PROCESS, 0, 7))
		zdtm_fail("setpriority: %m");
	f = fopen("/proc/self/oom_score_adj", "w");
	if (!f || fprintf(f, "321\n") < 0 || fclose(f))
		zdtm_fail("oom_score_adj: %m");
	for (int i = 0; i < 2; i++) {
		pthread_create(&th[i], NULL, run, &w[i]);
		while (!w[i].ready)
			usleep(1000);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	check_thread("main", gettid(), SCHED_OTHER, 7);
	check_thread("batch", w[0].tid, SCHED_BATCH, -3);
	check_thread("idle", w[1].tid, SCHED_IDLE, 0);
	f = fopen("/proc/self/oom_score_adj", "r");
	zdtm_check(f && fgets(buf, sizeof(buf), f) && atoi(buf) == 321, "oom_score_adj %s", buf);
	stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	zdtm_finish();
}
