/*
 * sigqueue_tree: blocked signals pending in several processes of a tree, sent by each other
 * with payloads.
 *
 * State: the test R and its child C both block SIGUSR1, SIGUSR2 and SIGRTMIN+4. R queued
 * to C SIGRTMIN+4 twice (payloads 10, 11) and SIGUSR2; C queued to R SIGRTMIN+4 (payload
 * 20) and sent SIGUSR1 (kill).
 * Check after SIGTERM: sigpending() of R is {USR1, RTMIN+4}, of C {USR2, RTMIN+4} (C checks
 * its own, told through a shared page); sigtimedwait (timeout 0) in each returns exactly
 * the pending signals, standard before realtime, realtime in queue order, with si_code
 * SI_QUEUE/SI_USER, si_pid the sender and the payloads, and then EAGAIN.
 */
#include "kid_util.h"
#include <string.h>
#include <time.h>

static volatile int *sh;

static int take(int *sig, int *code, int *pid, int *val)
{
	sigset_t all;
	siginfo_t si;
	struct timespec z = { 0, 0 };
	sigemptyset(&all);
	sigaddset(&all, SIGUSR1);
	sigaddset(&all, SIGUSR2);
	sigaddset(&all, SIGRTMIN + 4);
	memset(&si, 0, sizeof(si));
	*sig = sigtimedwait(&all, &si, &z);
	*code = si.si_code;
	*pid = si.si_pid;
	*val = si.si_value.sival_int;
	return *sig;
}

/* Checks pending set and the queue: want[] = {sig, code, val} triples; pid of the sender. */
static void expect(const char *who, int std, pid_t from, const int (*want)[3], int n)
{
	sigset_t p;
	int i, s, c, pid, v;
	sigpending(&p);
	zdtm_check(sigismember(&p, std) == 1 && sigismember(&p, SIGRTMIN + 4) == 1 &&
			   sigismember(&p, std == SIGUSR1 ? SIGUSR2 : SIGUSR1) == 0,
		   "%s: pending USR1 %d USR2 %d RTMIN+4 %d", who, sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2),
		   sigismember(&p, SIGRTMIN + 4));
	for (i = 0; i < n; i++) {
		take(&s, &c, &pid, &v);
		zdtm_check(s == want[i][0] && c == want[i][1] && pid == from && (c != SI_QUEUE || v == want[i][2]),
			   "%s: signal %d is %d code %d pid %d value %d, expected %d code %d pid %d value %d", who, i, s, c, pid, v,
			   want[i][0], want[i][1], (int)from, want[i][2]);
	}
	errno = 0;
	zdtm_check(take(&s, &c, &pid, &v) < 0 && errno == EAGAIN, "%s: one more signal %d pending", who, s);
}

int main(int argc, char **argv)
{
	sigset_t b;
	pid_t c, me;

	zdtm_init(argc, argv);
	me = getpid();
	sh = kid_shared_page();
	sigemptyset(&b);
	sigaddset(&b, SIGUSR1);
	sigaddset(&b, SIGUSR2);
	sigaddset(&b, SIGRTMIN + 4);
	sigprocmask(SIG_BLOCK, &b, NULL);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before;
		int want[3][3] = { { SIGUSR2, SI_USER, 0 }, { SIGRTMIN + 4, SI_QUEUE, 10 }, { SIGRTMIN + 4, SI_QUEUE, 11 } };
		if (sigqueue(me, SIGRTMIN + 4, (union sigval){ .sival_int = 20 }) || kill(me, SIGUSR1))
			_exit(10);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[2], 1, 1000000))
			;
		before = zdtm_failures();
		expect("C", SIGUSR2, me, (const int (*)[3])want, 3);
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not send");
	if (sigqueue(c, SIGRTMIN + 4, (union sigval){ .sival_int = 10 }) ||
	    sigqueue(c, SIGRTMIN + 4, (union sigval){ .sival_int = 11 }) || kill(c, SIGUSR2))
		zdtm_fail("sigqueue: %m");
	zdtm_sleep_ms(50);
	zdtm_log("C %d", (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	{
		int want[2][3] = { { SIGUSR1, SI_USER, 0 }, { SIGRTMIN + 4, SI_QUEUE, 20 } };
		expect("R", SIGUSR1, c, (const int (*)[3])want, 2);
	}
	kid_set_word(&sh[2], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
