/*
 * itimer_real: a periodic ITIMER_REAL timer.
 *
 * State: setitimer(ITIMER_REAL) with a 50 ms interval and first expiry;
 * a SIGALRM handler (SA_RESTART) counts expiries.
 * Check after SIGTERM: getitimer() gives the same 50 ms interval and a
 * running value in (0, 50 ms]; SIGALRMs arrived while waiting; the timer
 * still fires: over the next 500 ms at least 5 more arrive, and over the
 * whole run no more than elapsed/50 ms + 2 (not faster than set).
 */
#include "zdtm.h"
#include <sys/time.h>

#define PERIOD_US 50000

static volatile int alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(int argc, char **argv)
{
	struct itimerval it = { { 0, PERIOD_US }, { 0, PERIOD_US } }, cur;
	struct sigaction sa = { 0 };
	int at_ready, at_term, after;
	uint64_t t0, t1;

	zdtm_init(argc, argv);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	t0 = zdtm_now_ns();
	if (setitimer(ITIMER_REAL, &it, NULL))
		zdtm_fail("setitimer: %m");
	at_ready = alarms;

	zdtm_ready();
	zdtm_wait_for_term();

	at_term = alarms;
	getitimer(ITIMER_REAL, &cur);
	zdtm_check(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == PERIOD_US,
		   "interval %ld.%06ld s, expected 0.050000", (long)cur.it_interval.tv_sec,
		   (long)cur.it_interval.tv_usec);
	zdtm_check(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 &&
		   cur.it_value.tv_usec <= PERIOD_US, "timer value %ld.%06ld s",
		   (long)cur.it_value.tv_sec, (long)cur.it_value.tv_usec);
	zdtm_check(at_term > at_ready, "no SIGALRM while waiting (%d at ready, %d at SIGTERM)",
		   at_ready, at_term);
	zdtm_sleep_ms(500);
	after = alarms - at_term;
	t1 = zdtm_now_ns();
	zdtm_check(after >= 5, "only %d SIGALRMs in the 500 ms after SIGTERM", after);
	zdtm_check(alarms <= (int)((t1 - t0) / (PERIOD_US * 1000ULL)) + 2,
		   "%d SIGALRMs in %llu ms: faster than the interval", alarms,
		   (unsigned long long)(t1 - t0) / 1000000);
	zdtm_log("%d SIGALRMs in %.2f s", alarms, (t1 - t0) / 1e9);
	zdtm_finish();
}
