/*
 * posix_timers: POSIX timers keep their ids, clocks, notification and times.
 *
 * State: timer A (CLOCK_MONOTONIC, SIGEV_SIGNAL SIGUSR1 with a sival_ptr, 40 ms period);
 * timer B (CLOCK_REALTIME, SIGEV_NONE, one-shot 1000 s away); timer C created then deleted
 * (so ids are not just 0..n); timer D (CLOCK_BOOTTIME, 300 s one-shot, SIGRTMIN+2).
 * Check after SIGTERM: timer_gettime on each id gives the same interval, a remaining time
 * not above what it was; A's SIGUSR1 still arrives with the same sival_ptr.
 */
#include "zdtm.h"
#include <signal.h>
#include <time.h>
#include <unistd.h>

static volatile int fired;
static volatile void *last_ptr;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	fired++;
	last_ptr = si->si_value.sival_ptr;
}

static timer_t make(clockid_t clk, int notify, int signo, void *ptr, long isec, long insec, long vsec)
{
	struct sigevent se = { 0 };
	struct itimerspec its = { { isec, insec }, { vsec, insec ? insec : 0 } };
	timer_t t;

	se.sigev_notify = notify;
	se.sigev_signo = signo;
	se.sigev_value.sival_ptr = ptr;
	if (timer_create(clk, &se, &t))
		zdtm_fail("timer_create: %m");
	if (vsec || insec) {
		if (!vsec)
			its.it_value.tv_nsec = insec;
		if (timer_settime(t, 0, &its, NULL))
			zdtm_fail("timer_settime: %m");
	}
	return t;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	struct itimerspec a, b, d;
	timer_t ta, tb, tc, td;

	zdtm_init(argc, argv);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGRTMIN + 2, SIG_IGN);
	ta = make(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, (void *)0xfeed, 0, 40000000, 0);
	tc = make(CLOCK_MONOTONIC, SIGEV_NONE, 0, NULL, 0, 0, 0);
	tb = make(CLOCK_REALTIME, SIGEV_NONE, 0, NULL, 0, 0, 1000);
	timer_delete(tc);
	td = make(CLOCK_BOOTTIME, SIGEV_SIGNAL, SIGRTMIN + 2, NULL, 0, 0, 300);
	timer_gettime(tb, &b);
	timer_gettime(td, &d);

	zdtm_ready();
	zdtm_wait_for_term();

	struct itimerspec now;
	zdtm_check(timer_gettime(ta, &a) == 0 && a.it_interval.tv_sec == 0 && a.it_interval.tv_nsec == 40000000,
		   "timer A: %m or interval %ld ns", a.it_interval.tv_nsec);
	zdtm_check(timer_gettime(tb, &now) == 0 && now.it_value.tv_sec > 0 && now.it_value.tv_sec <= b.it_value.tv_sec &&
		   now.it_interval.tv_sec == 0, "timer B: %m or remaining %ld s (was %ld)", now.it_value.tv_sec, b.it_value.tv_sec);
	zdtm_check(timer_gettime(td, &now) == 0 && now.it_value.tv_sec > 0 && now.it_value.tv_sec <= d.it_value.tv_sec,
		   "timer D: %m or remaining %ld s (was %ld)", now.it_value.tv_sec, d.it_value.tv_sec);
	zdtm_check(timer_gettime(tc, &now) != 0, "deleted timer C came back");
	int before = fired;
	for (int i = 0; i < 50 && fired < before + 3; i++)
		usleep(20000);
	zdtm_check(fired >= before + 3, "timer A stopped firing (%d -> %d)", before, fired);
	zdtm_check(last_ptr == (void *)0xfeed, "sival_ptr %p", last_ptr);
	zdtm_finish();
}
