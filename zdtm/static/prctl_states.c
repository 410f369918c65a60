/*
 * prctl_states: per-thread and per-address-space prctl states.
 *
 * State: the main thread's timer slack 123457 ns and machine-check kill policy "early"; a second
 * thread's timer slack 7654321 ns and TSC mode PR_TSC_SIGSEGV (rdtsc faults in that thread only);
 * memory-deny-write-execute (PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN) for the process.
 * Check after SIGTERM: PR_GET_TIMERSLACK, PR_MCE_KILL_GET, PR_GET_TSC of each thread answer as
 * set (and /proc/TID/timerslack_ns agrees); PR_GET_MDWE still has REFUSE_EXEC_GAIN and
 * mprotect(PROT_EXEC) of a writable anonymous page is refused (EACCES).
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_GET_MDWE 66
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

static volatile int go, ready;
static long t2_slack;
static int t2_tsc = -1;
static pid_t t2_tid;

static long slack_file(pid_t tid)
{
	char path[64], buf[64];
	snprintf(path, sizeof(path), "/proc/%d/timerslack_ns", tid);
	zdtm_read_file(path, buf, sizeof(buf));
	return atol(buf);
}

static void *second(void *arg)
{
	(void)arg;
	t2_tid = syscall(SYS_gettid);
	if (prctl(PR_SET_TIMERSLACK, 7654321, 0, 0, 0) || prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0))
		return (void *)1;
	ready = 1;
	while (!go)
		zdtm_sleep_ms(10);
	t2_slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	prctl(PR_GET_TSC, &t2_tsc, 0, 0, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	int tsc = -1, mdwe;
	void *page;
	pid_t tid;

	zdtm_init(argc, argv);
	tid = syscall(SYS_gettid);
	if (prctl(PR_SET_TIMERSLACK, 123457, 0, 0, 0) || prctl(PR_MCE_KILL, PR_MCE_KILL_SET, PR_MCE_KILL_EARLY, 0, 0))
		zdtm_fail("prctl: %m");
	if (pthread_create(&t, NULL, second, NULL))
		zdtm_fail("pthread_create");
	while (!ready)
		zdtm_sleep_ms(5);
	mdwe = prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) == 0;
	if (!mdwe)
		zdtm_log("PR_SET_MDWE not available here: %m");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	zdtm_ready();
	zdtm_wait_for_term();

	go = 1;
	pthread_join(t, NULL);
	zdtm_check(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0) == 123457, "main timer slack %d", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	zdtm_check(slack_file(tid) == 123457, "main timerslack_ns %ld", slack_file(tid));
	zdtm_check(prctl(PR_MCE_KILL_GET, 0, 0, 0, 0) == PR_MCE_KILL_EARLY, "MCE kill policy %d", prctl(PR_MCE_KILL_GET, 0, 0, 0, 0));
	zdtm_check(prctl(PR_GET_TSC, &tsc, 0, 0, 0) == 0 && tsc == PR_TSC_ENABLE, "main TSC mode %d", tsc);
	zdtm_check(t2_slack == 7654321, "second thread's timer slack %ld", t2_slack);
	zdtm_check(t2_tsc == PR_TSC_SIGSEGV, "second thread's TSC mode %d", t2_tsc);
	if (mdwe) {
		zdtm_check(prctl(PR_GET_MDWE, 0, 0, 0, 0) & PR_MDWE_REFUSE_EXEC_GAIN, "MDWE lost");
		zdtm_check(mprotect(page, 4096, PROT_READ | PROT_EXEC) == -1 && errno == EACCES, "a writable page became executable");
	}
	zdtm_finish();
}
