/*
 * tree_sched_attrs: scheduling attributes that differ between the processes of a tree.
 *
 * State: the test R at nice 3, SCHED_OTHER, oom_score_adj 100, timer slack 200000 ns,
 * dumpable; child C under SCHED_BATCH at nice 9, oom_score_adj 250, CPU affinity {first
 * allowed CPU}, timer slack 1000000 ns, PR_SET_DUMPABLE 0; C's child G under SCHED_IDLE,
 * oom_score_adj 500, affinity = all allowed, timer slack 50000 ns.
 * Check after SIGTERM: each process (told through a shared page) checks its own policy,
 * nice, /proc/self/oom_score_adj, sched_getaffinity, PR_GET_TIMERSLACK and PR_GET_DUMPABLE
 * against what it recorded at set-up; R also reads C's and G's policy and nice by pid.
 */
#include "kid_util.h"
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

struct attrs { int policy, nice, oom, dumpable; unsigned long slack; cpu_set_t cpus; };

static volatile int *sh;

static int oom_adj(void)
{
	char b[32];
	zdtm_read_file("/proc/self/oom_score_adj", b, sizeof(b));
	return atoi(b);
}

static void set_oom(int v)
{
	char b[32];
	snprintf(b, sizeof(b), "%d", v);
	zdtm_write_file("/proc/self/oom_score_adj", b, strlen(b));
}

static void get(struct attrs *a)
{
	memset(a, 0, sizeof(*a));
	a->policy = sched_getscheduler(0);
	errno = 0;
	a->nice = getpriority(PRIO_PROCESS, 0);
	a->oom = oom_adj();
	a->dumpable = prctl(PR_GET_DUMPABLE);
	a->slack = (unsigned long)prctl(PR_GET_TIMERSLACK);
	sched_getaffinity(0, sizeof(a->cpus), &a->cpus);
}

static void setup(int policy, int nice, int oom, unsigned long slack, int dumpable, int one_cpu)
{
	struct sched_param sp = { 0 };
	if (sched_setscheduler(0, policy, &sp))
		zdtm_fail("sched_setscheduler %d: %m", policy);
	if (setpriority(PRIO_PROCESS, 0, nice))
		zdtm_fail("setpriority: %m");
	set_oom(oom);
	if (prctl(PR_SET_TIMERSLACK, slack) || prctl(PR_SET_DUMPABLE, dumpable))
		zdtm_fail("prctl: %m");
	if (one_cpu) {
		cpu_set_t s, one;
		int i;
		sched_getaffinity(0, sizeof(s), &s);
		CPU_ZERO(&one);
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &s)) {
				CPU_SET(i, &one);
				break;
			}
		if (sched_setaffinity(0, sizeof(one), &one))
			zdtm_fail("sched_setaffinity: %m");
	}
}

static void compare(const char *who, const struct attrs *w)
{
	struct attrs a;
	get(&a);
	zdtm_check(a.policy == w->policy, "%s: policy %d, expected %d", who, a.policy, w->policy);
	zdtm_check(a.nice == w->nice, "%s: nice %d, expected %d", who, a.nice, w->nice);
	zdtm_check(a.oom == w->oom, "%s: oom_score_adj %d, expected %d", who, a.oom, w->oom);
	zdtm_check(a.dumpable == w->dumpable, "%s: dumpable %d, expected %d", who, a.dumpable, w->dumpable);
	zdtm_check(a.slack == w->slack, "%s: timer slack %lu, expected %lu", who, a.slack, w->slack);
	zdtm_check(CPU_EQUAL(&a.cpus, &w->cpus), "%s: affinity has %d CPUs, expected %d", who, CPU_COUNT(&a.cpus),
		   CPU_COUNT(&w->cpus));
}

int main(int argc, char **argv)
{
	struct attrs mine, *rec;
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	rec = (struct attrs *)(sh + 64);	/* [0] C, [1] G, as recorded by them */
	setup(SCHED_OTHER, 3, 100, 200000, 1, 0);
	get(&mine);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before;
		pid_t g;
		setup(SCHED_BATCH, 9, 250, 1000000, 0, 1);
		g = fork();
		if (g == 0) {
			cpu_set_t all;
			struct sched_param sp = { 0 };
			/* G: all the CPUs R may use, not C's single one. */
			memcpy(&all, &mine.cpus, sizeof(all));
			if (sched_setscheduler(0, SCHED_IDLE, &sp) || sched_setaffinity(0, sizeof(all), &all) ||
			    prctl(PR_SET_TIMERSLACK, 50000UL) || prctl(PR_SET_DUMPABLE, 1))
				_exit(20);
			set_oom(500);
			get(&rec[1]);
			kid_set_word(&sh[1], getpid());
			while (!kid_wait_word(&sh[2], 1, 1000000))
				;
			before = zdtm_failures();
			compare("G", &rec[1]);
			_exit(zdtm_failures() != before);
		}
		get(&rec[0]);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[2], 1, 1000000))
			;
		before = zdtm_failures();
		compare("C", &rec[0]);
		zdtm_check(kid_reap_ok(g, "G", 5000), "C: G failed");
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000) || !kid_wait_word(&sh[1], 1, 5000))
		zdtm_fail("the children did not set up");
	if (rec[0].policy != SCHED_BATCH || rec[1].policy != SCHED_IDLE || rec[0].nice != 9)
		zdtm_fail("set-up: C policy %d nice %d, G policy %d", rec[0].policy, rec[0].nice, rec[1].policy);
	zdtm_log("C %d, G %d, R has %d CPUs", (int)c, sh[1], CPU_COUNT(&mine.cpus));

	zdtm_ready();
	zdtm_wait_for_term();

	compare("R", &mine);
	zdtm_check(sched_getscheduler(c) == SCHED_BATCH && getpriority(PRIO_PROCESS, c) == 9, "R sees C with policy %d nice %d",
		   sched_getscheduler(c), getpriority(PRIO_PROCESS, c));
	zdtm_check(sched_getscheduler(sh[1]) == SCHED_IDLE, "R sees G with policy %d", sched_getscheduler(sh[1]));
	kid_set_word(&sh[2], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
