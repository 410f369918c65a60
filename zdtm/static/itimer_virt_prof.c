/*
 * itimer_virt_prof: the CPU-time interval timers ITIMER_VIRTUAL and ITIMER_PROF.
 *
 * State: ITIMER_VIRTUAL every 10 ms (first expiry 10 ms) and ITIMER_PROF every 25 ms
 * (first 25 ms), counting SIGVTALRM and SIGPROF in SA_RESTART handlers; the test burns
 * CPU in a loop that polls for SIGTERM.
 * Check after SIGTERM: getitimer() gives the same intervals exactly, and a current value no
 * larger than the interval (but running: nonzero); after 400 ms more of CPU time (measured
 * with CLOCK_PROCESS_CPUTIME_ID) SIGVTALRM arrived at least 20 times and SIGPROF at least 8
 * (nominally 40 and 16), and not more than 1.6 times the nominal count (tick accounting).
 */
#include "zdtm.h"
#include <string.h>
#include <sys/time.h>
#include <time.h>

static volatile unsigned long n_virt, n_prof;
static volatile uint64_t sink;

static void on_sig(int sig)
{
	if (sig == SIGVTALRM)
		n_virt++;
	else
		n_prof++;
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void burn(void)
{
	int i;
	for (i = 0; i < 10000; i++)
		sink = zdtm_mix64(sink + i);
}

static long usec(const struct timeval *tv)
{
	return tv->tv_sec * 1000000L + tv->tv_usec;
}

int main(int argc, char **argv)
{
	struct itimerval v = { { 0, 10000 }, { 0, 10000 } }, p = { { 0, 25000 }, { 0, 25000 } }, gv, gp;
	struct sigaction sa;
	unsigned long v0, p0, dv, dp;
	uint64_t c0, spent;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGVTALRM, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);
	if (setitimer(ITIMER_VIRTUAL, &v, NULL) || setitimer(ITIMER_PROF, &p, NULL))
		zdtm_fail("setitimer: %m");

	zdtm_ready();
	while (!zdtm_term_requested())
		burn();

	getitimer(ITIMER_VIRTUAL, &gv);
	getitimer(ITIMER_PROF, &gp);
	zdtm_check(usec(&gv.it_interval) == 10000, "ITIMER_VIRTUAL interval %ld us, expected 10000", usec(&gv.it_interval));
	zdtm_check(usec(&gp.it_interval) == 25000, "ITIMER_PROF interval %ld us, expected 25000", usec(&gp.it_interval));
	zdtm_check(usec(&gv.it_value) > 0 && usec(&gv.it_value) <= 10000, "ITIMER_VIRTUAL value %ld us",
		   usec(&gv.it_value));
	zdtm_check(usec(&gp.it_value) > 0 && usec(&gp.it_value) <= 25000, "ITIMER_PROF value %ld us",
		   usec(&gp.it_value));
	v0 = n_virt;
	p0 = n_prof;
	c0 = cpu_ns();
	while (cpu_ns() - c0 < 400000000ULL)
		burn();
	spent = cpu_ns() - c0;
	dv = n_virt - v0;
	dp = n_prof - p0;
	zdtm_log("%.0f ms CPU: %lu SIGVTALRM, %lu SIGPROF", spent / 1e6, dv, dp);
	zdtm_check(dv >= 20 && dv <= spent / 10000000 * 8 / 5 + 3, "%lu SIGVTALRM in %.0f ms of CPU", dv, spent / 1e6);
	zdtm_check(dp >= 8 && dp <= spent / 25000000 * 8 / 5 + 3, "%lu SIGPROF in %.0f ms of CPU", dp, spent / 1e6);
	zdtm_finish();
}
