/*
 * transition_posix_timer: periodic POSIX timers firing every 1 and 7 ms the whole time the
 * process is dumped.
 *
 * State: timer A (CLOCK_MONOTONIC, 1 ms period, SIGEV_SIGNAL SIGRTMIN+2, payload 0xA) and
 * timer B (CLOCK_BOOTTIME, 7 ms period, SIGRTMIN+3, payload 0xB), both signals blocked and
 * taken by a sigtimedwait() loop that counts each timer's expirations as 1 + si_overrun. So a
 * timer signal is pending, with overruns piling up, whenever the process is frozen.
 * Check: every signal taken is one of the two timers' (SI_TIMER, its payload); within each
 * stretch of the loop that no checkpoint interrupted (consecutive signals less than 100 ms
 * apart, from the first signal after a pause that does not come back to back with the one
 * before: those pending when the process resumed carry overruns from before), the expirations counted equal the time elapsed over the period (within 2 periods
 * and 2%): none lost while running; over the whole run, from arming to the end, no timer counted
 * more expirations than periods elapsed (+2): none invented, checkpoints included; after
 * SIGTERM both timers are still armed with their periods (timer_gettime: the interval, a
 * remaining time in (0, period]) and both fire again; the loop ran after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NT 2
#define GAP_NS (100 * 1000 * 1000ULL)

struct tm_state {
	timer_t id;
	clockid_t clk;
	int sig;
	int payload;
	uint64_t period_ns;
	uint64_t t0;			/* armed at, on the loop's clock (CLOCK_MONOTONIC) */
	uint64_t total;			/* expirations counted */
	uint64_t last;			/* time of the last signal taken */
	uint64_t run_start, run_count;	/* the current uninterrupted stretch */
	uint64_t stretches, checked_ns, bad;
	int skip;			/* after a pause: not in a stretch yet */
};

static struct tm_state T[NT] = {
	{ .clk = CLOCK_MONOTONIC, .payload = 0xA, .period_ns = 1000000 },
	{ .clk = CLOCK_BOOTTIME, .payload = 0xB, .period_ns = 7000000 },
};

static void end_stretch(struct tm_state *t)
{
	uint64_t span = t->last - t->run_start;
	if (span < 20 * t->period_ns)
		return;	/* too short to say anything */
	double want = (double)span / t->period_ns, got = (double)t->run_count;
	t->stretches++;
	t->checked_ns += span;
	if ((got < want - 2 - want * 0.02 || got > want + 2 + want * 0.02) && t->bad++ < 5)
		zdtm_log("timer %#x: %.0f expirations in a stretch of %.1f ms, expected %.1f", t->payload, got,
			 span / 1e6, want);
}

static int take(uint64_t wait_ns)
{
	sigset_t set;
	siginfo_t si;
	sigemptyset(&set);
	for (int i = 0; i < NT; i++)
		sigaddset(&set, T[i].sig);
	struct timespec ts = { wait_ns / 1000000000, wait_ns % 1000000000 };
	int s = sigtimedwait(&set, &si, &ts);
	uint64_t now = zdtm_now_ns();
	if (s < 0) {
		if (errno != EINTR && errno != EAGAIN)
			zdtm_fail("sigtimedwait: %m");
		return 0;
	}
	for (int i = 0; i < NT; i++) {
		struct tm_state *t = &T[i];
		if (s != t->sig)
			continue;
		if ((si.si_code != SI_TIMER || si.si_value.sival_int != t->payload || si.si_overrun < 0) && t->bad++ < 5)
			zdtm_log("signal %d: code %d, payload %#x, overrun %d", s, si.si_code, si.si_value.sival_int,
				 si.si_overrun);
		uint64_t n = 1 + (uint64_t)(si.si_overrun > 0 ? si.si_overrun : 0);
		if (t->last && now - t->last < GAP_NS && !t->skip) {
			t->run_count += n;
		} else if (t->skip && now - t->last < GAP_NS && now - t->last >= t->period_ns / 5) {
			/* The backlog is drained: this one came on its own, the stretch starts here. */
			t->skip = 0;
			t->run_start = now;
			t->run_count = 0;
		} else {
			/*
			 * A pause (a checkpoint, or the start), or signals still coming back to back after
			 * one: what was pending when the process resumed (after a restore, the signal
			 * pending at the dump and the timer's own first one) carries overruns from before.
			 * The stretch begins at the first signal that comes on its own.
			 */
			if (t->last && !t->skip)
				end_stretch(t);
			t->skip = 1;
		}
		t->last = now;
		t->total += n;
	}
	return s;
}

int main(int argc, char **argv)
{
	sigset_t set;
	uint64_t at_ready[NT], loops = 0;

	zdtm_init(argc, argv);
	T[0].sig = SIGRTMIN + 2;
	T[1].sig = SIGRTMIN + 3;
	sigemptyset(&set);
	for (int i = 0; i < NT; i++)
		sigaddset(&set, T[i].sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < NT; i++) {
		struct tm_state *t = &T[i];
		struct sigevent se;
		memset(&se, 0, sizeof(se));
		se.sigev_notify = SIGEV_SIGNAL;
		se.sigev_signo = t->sig;
		se.sigev_value.sival_int = t->payload;
		if (timer_create(t->clk, &se, &t->id))
			zdtm_fail("timer_create: %m");
		struct itimerspec its = { { 0, t->period_ns }, { 0, t->period_ns } };
		t->t0 = zdtm_now_ns();
		if (timer_settime(t->id, 0, &its, NULL))
			zdtm_fail("timer_settime: %m");
	}
	while (T[0].total < 300 || T[1].total < 40)
		take(100000000);
	for (int i = 0; i < NT; i++)
		at_ready[i] = T[i].total;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		take(100000000);
		loops++;
	}
	/* A last stretch of 300 ms after SIGTERM: the timers still run at their rates. */
	for (int i = 0; i < NT; i++) {
		if (!T[i].skip)
			end_stretch(&T[i]);
		T[i].last = 0;
		T[i].skip = 0;
	}
	uint64_t until = zdtm_now_ns() + 300000000ULL;
	while (zdtm_now_ns() < until)
		take(until - zdtm_now_ns());
	uint64_t end = zdtm_now_ns();
	for (int i = 0; i < NT; i++) {
		struct tm_state *t = &T[i];
		struct itimerspec cur;
		if (!t->skip)
			end_stretch(t);
		if (timer_gettime(t->id, &cur))
			zdtm_fail("timer_gettime: %m");
		uint64_t value = cur.it_value.tv_sec * 1000000000ULL + cur.it_value.tv_nsec;
		uint64_t elapsed = (end - t->t0) / t->period_ns;
		zdtm_log("timer %#x: %llu expirations (%llu at ready), %llu periods elapsed, %llu stretches (%.0f ms) checked",
			 t->payload, (unsigned long long)t->total, (unsigned long long)at_ready[i],
			 (unsigned long long)elapsed, (unsigned long long)t->stretches, t->checked_ns / 1e6);
		zdtm_check(t->bad == 0, "timer %#x: %llu wrong signals or stretches", t->payload, (unsigned long long)t->bad);
		zdtm_check(t->total <= elapsed + 2, "timer %#x: %llu expirations in %llu periods", t->payload,
			   (unsigned long long)t->total, (unsigned long long)elapsed);
		zdtm_check(t->total > at_ready[i], "timer %#x: nothing after zdtm_ready", t->payload);
		zdtm_check(t->stretches > 0, "timer %#x: no stretch long enough to check", t->payload);
		zdtm_check(cur.it_interval.tv_sec == 0 && (uint64_t)cur.it_interval.tv_nsec == t->period_ns,
			   "timer %#x: interval %ld.%09ld", t->payload, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
		zdtm_check(value > 0 && value <= t->period_ns, "timer %#x: %llu ns left", t->payload, (unsigned long long)value);
	}
	zdtm_check(loops > 0, "the loop did not run after zdtm_ready");
	zdtm_finish();
}
