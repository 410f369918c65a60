/*
 * thread_names: each thread with its own name.
 *
 * State: the main thread renamed "nm-main" (PR_SET_NAME); 6 threads, thread i named by
 * the main thread with pthread_setname_np() (threads 0-2) or by itself with PR_SET_NAME
 * (threads 3-5), names of different lengths up to the 15-character limit ("t0", "nm-thr-1",
 * ..., "fifteen-chars-5").
 * Check after SIGTERM: /proc/self/task/TID/comm of every thread and the main thread is its
 * name; each thread reads PR_GET_NAME itself and compares; the name column (field 2) of
 * /proc/self/stat is the main thread's.
 */
#include "zdtm.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define N 6
static const char *const names[N] = { "t0", "nm-thr-1", "0123456789abcd", "x", "thread/three-4", "fifteen-chars-5" };

struct worker {
	pthread_t t;
	int idx;
	volatile pid_t tid;
	volatile int started, stop, ok;
};
static struct worker w[N];

static void *run(void *arg)
{
	struct worker *me = arg;
	char got[32] = "";
	if (me->idx >= 3)
		prctl(PR_SET_NAME, names[me->idx]);
	me->tid = gettid();
	me->started = 1;
	while (!me->stop)
		zdtm_sleep_ms(20);
	prctl(PR_GET_NAME, got);
	me->ok = !strcmp(got, names[me->idx]);
	return NULL;
}

static void task_comm(pid_t tid, char *out, size_t size)
{
	char path[64];
	size_t n;
	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
	n = zdtm_read_file(path, out, size);
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
}

int main(int argc, char **argv)
{
	char comm[64];
	sigset_t term, old;
	int i;

	zdtm_init(argc, argv);
	prctl(PR_SET_NAME, "nm-main");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 0; i < N; i++) {
		w[i].idx = i;
		if (pthread_create(&w[i].t, NULL, run, &w[i]))
			zdtm_fail("pthread_create failed");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < N; i++) {
		while (!w[i].started)
			zdtm_sleep_ms(1);
		if (i < 3 && pthread_setname_np(w[i].t, names[i]))
			zdtm_fail("pthread_setname_np failed");
	}
	for (i = 0; i < N; i++) {
		task_comm(w[i].tid, comm, sizeof(comm));
		if (strcmp(comm, names[i]))
			zdtm_fail("thread %d is named \"%s\" before the checkpoint", i, comm);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	task_comm(gettid(), comm, sizeof(comm));
	zdtm_check(!strcmp(comm, "nm-main"), "main thread comm \"%s\", expected \"nm-main\"", comm);
	zdtm_stat_field(2, comm, sizeof(comm));
	zdtm_check(!strcmp(comm, "nm-main"), "/proc/self/stat name \"%s\", expected \"nm-main\"", comm);
	for (i = 0; i < N; i++) {
		task_comm(w[i].tid, comm, sizeof(comm));
		zdtm_check(!strcmp(comm, names[i]), "thread %d (tid %d): comm \"%s\", expected \"%s\"", i, w[i].tid,
			   comm, names[i]);
		w[i].stop = 1;
		pthread_join(w[i].t, NULL);
		zdtm_check(w[i].ok, "thread %d: PR_GET_NAME differs from \"%s\"", i, names[i]);
	}
	zdtm_finish();
}
