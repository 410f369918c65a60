/*
 * thread_child_pdeathsig: a child forked by a non-main thread with PR_SET_PDEATHSIG: its
 * parent-death signal comes when that thread ends (not the process); per-thread names.
 *
 * State: the main thread is named "pd-main", thread T "pd-worker" (PR_SET_NAME). T forked
 * child C, which set PR_SET_PDEATHSIG(SIGUSR1) (a counting handler) and names itself
 * "pd-child". T then waits for a word in a shared page.
 * Check after SIGTERM: the names of both threads (PR_GET_NAME in each, task/TID/comm); C
 * (told through the shared page) checks PR_GET_PDEATHSIG == SIGUSR1, no SIGUSR1 yet, its
 * ppid is the test, its name; then T is told to end: C must get exactly one SIGUSR1 within
 * 3 s while the test runs on, then C exits 0 when told; the test reaps it.
 */
#include "kid_util.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static volatile int *sh;	/* [0] C ready, [1] C check, [2] C checked, [3] T end, [4] C got, [5] C end, [6] C pid */
static volatile pid_t t_tid;
static volatile sig_atomic_t usr1;
static void on_usr1(int sig) { (void)sig; usr1++; }

static void *worker(void *arg)
{
	char nm[16] = "";
	pid_t c;
	(void)arg;
	prctl(PR_SET_NAME, "pd-worker");
	t_tid = syscall(SYS_gettid);
	c = fork();
	if (c == 0) {
		pid_t ppid = getppid();
		int before;
		signal(SIGUSR1, on_usr1);
		prctl(PR_SET_PDEATHSIG, SIGUSR1);
		prctl(PR_SET_NAME, "pd-child");
		if (getppid() != ppid)
			_exit(9);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		{
			int sig = -1;
			zdtm_check(prctl(PR_GET_PDEATHSIG, &sig) == 0 && sig == SIGUSR1, "C: PR_GET_PDEATHSIG %d", sig);
		}
		zdtm_check(usr1 == 0, "C: %d SIGUSR1 before the thread ended", (int)usr1);
		zdtm_check(getppid() == ppid, "C: ppid %d, expected %d", getppid(), ppid);
		zdtm_check(prctl(PR_GET_NAME, nm) == 0 && !strcmp(nm, "pd-child"), "C: name '%s'", nm);
		kid_set_word(&sh[2], 1);
		while (!kid_wait_word(&sh[3], 1, 1000000))
			;
		{
			int i;
			for (i = 0; i < 300 && !usr1; i++)
				zdtm_sleep_ms(10);
		}
		kid_set_word(&sh[4], usr1 + 1);
		kid_wait_word(&sh[5], 1, 5000);
		zdtm_check(usr1 == 1, "C: %d SIGUSR1 in all", (int)usr1);
		zdtm_check(getppid() == ppid, "C: ppid %d after the thread ended, expected %d", getppid(), ppid);
		_exit(zdtm_failures() != before);
	}
	sh[6] = c;
	while (!kid_wait_word(&sh[3], 1, 1000000))
		;
	return NULL;
}

static int comm_of(pid_t tid, const char *want)
{
	char p[64], b[64];
	snprintf(p, sizeof(p), "/proc/self/task/%d/comm", (int)tid);
	zdtm_read_file(p, b, sizeof(b));
	b[strcspn(b, "\n")] = 0;
	return zdtm_check(!strcmp(b, want), "task %d comm '%s', expected '%s'", (int)tid, b, want);
}

int main(int argc, char **argv)
{
	pthread_t th;
	char nm[16] = "";
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	prctl(PR_SET_NAME, "pd-main");
	if (pthread_create(&th, NULL, worker, NULL))
		zdtm_fail("pthread_create");
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not start");
	c = sh[6];
	zdtm_log("thread %d, child %d", (int)t_tid, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(prctl(PR_GET_NAME, nm) == 0 && !strcmp(nm, "pd-main"), "main thread name '%s'", nm);
	comm_of(getpid(), "pd-main");
	comm_of(t_tid, "pd-worker");
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000), "C did not check");
	kid_set_word(&sh[3], 1);
	pthread_join(th, NULL);
	zdtm_check(kid_wait_word(&sh[4], 1, 5000), "C did not report");
	zdtm_check(sh[4] == 2, "C got %d SIGUSR1 when its parent thread ended, expected 1", sh[4] - 1);
	kid_set_word(&sh[5], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
