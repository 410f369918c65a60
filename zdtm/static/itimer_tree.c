/*
 * itimer_tree: ITIMER_REAL timers of different periods in a parent and its child, and a
 * pending alarm() in a grandchild: each process keeps its own.
 *
 * State: the test R runs ITIMER_REAL with a 100 ms period, its child C one with 250 ms,
 * C's child G has alarm(200) pending and no itimer interval. Each counts SIGALRM.
 * Check after SIGTERM: getitimer in R and C gives their intervals (100/250 ms) and a value
 * within the interval; over the next 1.5 s R gets 15 +- 5 SIGALRM, C 6 +- 3 (reported
 * through a shared page); G has no SIGALRM, interval 0 and 0 < remaining <= 200 s (and at
 * least 200 s minus the test's age); then G's alarm is cancelled (alarm(0) returns the
 * remaining seconds, > 0).
 */
#include "kid_util.h"
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t alrm;
static void on_alrm(int sig) { (void)sig; alrm++; }

static volatile int *sh;	/* [0] C ready [1] G ready [2] go [3] C count+1 [4] G result+1 [5] C itv ok */

static int itv_ok(long usec)
{
	struct itimerval v;
	return getitimer(ITIMER_REAL, &v) == 0 && v.it_interval.tv_sec == 0 && v.it_interval.tv_usec == usec &&
	       v.it_value.tv_sec == 0 && v.it_value.tv_usec > 0 && v.it_value.tv_usec <= usec;
}

static void set_itv(long usec)
{
	struct itimerval v = { { 0, usec }, { 0, usec } };
	if (setitimer(ITIMER_REAL, &v, NULL))
		zdtm_fail("setitimer: %m");
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	uint64_t t_start;
	pid_t c;
	int n0, n;

	zdtm_init(argc, argv);
	t_start = zdtm_now_ns();
	sh = kid_shared_page();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		pid_t g = fork();
		if (g == 0) {
			struct itimerval v;
			unsigned left;
			alarm(200);
			kid_set_word(&sh[1], 1);
			while (!kid_wait_word(&sh[2], 1, 1000000))
				;
			zdtm_sleep_ms(1500);
			getitimer(ITIMER_REAL, &v);
			left = alarm(0);
			kid_set_word(&sh[4], 1 + (alrm == 0 && v.it_interval.tv_sec == 0 && v.it_interval.tv_usec == 0 &&
						 left > 0 && left <= 200 &&
						 (uint64_t)left + 2 >= 200 - (zdtm_now_ns() - t_start) / 1000000000ull));
			_exit(0);
		}
		set_itv(250000);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[2], 1, 1000000))
			;
		sh[5] = itv_ok(250000) + 1;
		n0 = alrm;
		zdtm_sleep_ms(1500);
		kid_set_word(&sh[3], alrm - n0 + 1);
		kid_reap(g, &n, 5000);
		_exit(0);
	}
	set_itv(100000);
	if (!kid_wait_word(&sh[0], 1, 5000) || !kid_wait_word(&sh[1], 1, 5000))
		zdtm_fail("the children did not start");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(itv_ok(100000), "R: getitimer is not a 100 ms interval");
	kid_set_word(&sh[2], 1);
	n0 = alrm;
	zdtm_sleep_ms(1500);
	n = alrm - n0;
	zdtm_check(n >= 10 && n <= 20, "R: %d SIGALRM in 1.5 s, expected 15 +- 5", n);
	zdtm_check(kid_wait_word(&sh[3], 1, 3000) && sh[5] == 2, "C: getitimer is not a 250 ms interval");
	zdtm_check(sh[3] - 1 >= 3 && sh[3] - 1 <= 9, "C: %d SIGALRM in 1.5 s, expected 6 +- 3", sh[3] - 1);
	zdtm_check(kid_wait_word(&sh[4], 1, 3000) && sh[4] == 2, "G: its alarm(200) is not pending as it was (result %d)", sh[4] - 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
