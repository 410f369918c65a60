/*
 * transition_thread_churn: threads created and joined the whole time the process is dumped.
 *
 * State: a loop starts a thread that computes a value from its argument and its own TID and
 * returns it, and joins it; at any moment a thread may be just created, running or exiting,
 * and is seized (or not) in that state.
 * Check after SIGTERM: every joined thread returned the value of its argument (the TID part
 * checked against the TID it reported); the loop ran on after each restore; only the main
 * thread is left (/proc/self/task).
 */
#include "zdtm.h"
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

struct job { unsigned long arg; pid_t tid; unsigned long out; };

static void *work(void *p)
{
	struct job *j = p;
	j->tid = gettid();
	unsigned long v = j->arg;
	for (int i = 0; i < 2000; i++)
		v = v * 6364136223846793005UL + 1442695040888963407UL;
	j->out = v ^ (unsigned long)j->tid;
	return j;
}

static unsigned long expect(unsigned long arg)
{
	unsigned long v = arg;
	for (int i = 0; i < 2000; i++)
		v = v * 6364136223846793005UL + 1442695040888963407UL;
	return v;
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
	unsigned long round = 0, bad = 0, at_ready;

	zdtm_init(argc, argv);
	zdtm_ready();
	at_ready = round;
	while (!zdtm_term_requested()) {
		struct job j = { round * 2654435761UL + 7, 0, 0 };
		pthread_t t;
		void *ret;
		if (pthread_create(&t, NULL, work, &j))
			zdtm_fail("pthread_create: %m");
		if (pthread_join(t, &ret) || ret != &j || (j.out ^ (unsigned long)j.tid) != expect(j.arg)) {
			zdtm_log("round %lu: thread %d returned %lx", round, j.tid, j.out);
			bad++;
		}
		round++;
	}
	zdtm_log("%lu threads", round);
	zdtm_check(bad == 0, "%lu threads returned wrong values", bad);
	zdtm_check(round > at_ready, "no thread ran");
	/* A joined thread leaves /proc/self/task a moment after join returns (its tid is cleared first). */
	int left = tasks();
	for (int w = 0; left != 1 && w < 200; w++) {
		usleep(10000);
		left = tasks();
	}
	zdtm_check(left == 1, "%d tasks left, expected 1", left);
	zdtm_finish();
}
