/*
 * thread_two: a second thread, restored with its own TID.
 *
 * State: a second pthread with SIGTERM blocked (so SIGTERM reaches the
 * main thread), its own thread-local counter and a pattern on its stack,
 * looping in short nanosleeps until told to stop.
 * Check after SIGTERM: the thread is alive (pthread_kill 0); asked, it
 * reports gettid() as the kernel says it now, which must be the TID it had
 * before the checkpoint and be listed in /proc/self/task; stopped, it
 * verifies its stack pattern and TLS value and returns a value derived from
 * them; the main thread's TLS value is unchanged.
 */
#include "zdtm.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static __thread uint64_t tls = 1;
static volatile int stop, started, asked;
static volatile pid_t worker_tid, tid_now;

static void *worker(void *arg)
{
	uint8_t stackbuf[2048];
	(void)arg;
	tls = 0xabcdef;
	worker_tid = gettid();
	zdtm_fill(stackbuf, sizeof(stackbuf), 99);
	zdtm_log("poke %p", stackbuf + 10);
	started = 1;
	while (!stop) {
		if (asked && !tid_now)
			tid_now = gettid();
		zdtm_sleep_ms(20);
	}
	if (zdtm_verify(stackbuf, sizeof(stackbuf), 99) >= 0)
		return (void *)1;
	return (void *)(uintptr_t)(tls == 0xabcdef ? 42 : 2);
}

int main(int argc, char **argv)
{
	sigset_t term, old;
	pthread_t t;
	pid_t tid;
	void *ret = NULL;

	zdtm_init(argc, argv);
	tls = 7;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);	/* inherited by the worker */
	if (pthread_create(&t, NULL, worker, NULL))
		zdtm_fail("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	while (!started)
		zdtm_sleep_ms(1);
	tid = worker_tid;

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(pthread_kill(t, 0) == 0, "the second thread is gone");
	asked = 1;
	for (int i = 0; i < 500 && !tid_now; i++)
		zdtm_sleep_ms(10);
	zdtm_check(tid_now == tid, "worker's gettid() is %d, was %d", tid_now, tid);
	char task[64];
	snprintf(task, sizeof(task), "/proc/self/task/%d", tid);
	zdtm_check(access(task, F_OK) == 0, "%s is not there", task);
	stop = 1;
	pthread_join(t, &ret);
	zdtm_check(ret == (void *)42, "worker returned %p (1: stack pattern, 2: TLS)", ret);
	zdtm_check(tls == 7, "main thread TLS %llu, expected 7", (unsigned long long)tls);
	zdtm_finish();
}
