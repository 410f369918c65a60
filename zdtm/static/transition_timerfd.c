/*
 * transition_timerfd: periodic timerfds firing every 1 and 7 ms the whole time the process is
 * dumped.
 *
 * State: timerfd A (CLOCK_MONOTONIC, 1 ms period, blocking) and B (CLOCK_BOOTTIME, 7 ms,
 * TFD_NONBLOCK), both read in a poll() loop; each read returns the expirations since the last
 * one. So expirations pile up in the fds whenever the process is frozen, and the loop is often
 * asleep in poll or in read(A).
 * Check: within each stretch of the loop that no checkpoint interrupted (reads less than 100 ms
 * apart, from the first read after a pause on: it returns what piled up before), the
 * expirations read equal the time elapsed over the period (within 2 periods and 2%): none lost
 * while running; over the whole run, from arming to the end, no timerfd gave more expirations
 * than periods elapsed (+2): none invented, checkpoints included; after SIGTERM both are still
 * armed with their periods (timerfd_gettime: the interval, a time left in (0, period]), keep
 * their flags and fire again; the loop ran after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define NT 2
#define GAP_NS (100 * 1000 * 1000ULL)

struct tfd {
	int fd;
	clockid_t clk;
	int flags;
	uint64_t period_ns;
	uint64_t t0, total, last, run_start, run_count, stretches, checked_ns, bad;
	int skip;
};

static struct tfd T[NT] = {
	{ .clk = CLOCK_MONOTONIC, .flags = 0, .period_ns = 1000000 },
	{ .clk = CLOCK_BOOTTIME, .flags = TFD_NONBLOCK, .period_ns = 7000000 },
};

static void end_stretch(struct tfd *t)
{
	uint64_t span = t->last - t->run_start;
	if (span < 20 * t->period_ns)
		return;
	double want = (double)span / t->period_ns, got = (double)t->run_count;
	t->stretches++;
	t->checked_ns += span;
	if ((got < want - 2 - want * 0.02 || got > want + 2 + want * 0.02) && t->bad++ < 5)
		zdtm_log("timerfd %d: %.0f expirations in a stretch of %.1f ms, expected %.1f", t->fd, got, span / 1e6, want);
}

static void got(struct tfd *t, uint64_t n, uint64_t now)
{
	if (t->last && now - t->last < GAP_NS && !t->skip) {
		t->run_count += n;
	} else if (t->skip && now - t->last < GAP_NS) {
		/* The read after the first one after a pause: the stretch starts here. */
		t->skip = 0;
		t->run_start = now;
		t->run_count = 0;
	} else {
		if (t->last && !t->skip)
			end_stretch(t);
		t->skip = 1;
	}
	t->last = now;
	t->total += n;
}

static void step(int timeout_ms)
{
	struct pollfd p[NT];
	for (int i = 0; i < NT; i++)
		p[i] = (struct pollfd){ T[i].fd, POLLIN, 0 };
	int r = poll(p, NT, timeout_ms);
	if (r < 0 && errno != EINTR)
		zdtm_fail("poll: %m");
	for (int i = 0; i < NT; i++) {
		if (r <= 0 || !(p[i].revents & POLLIN))
			continue;
		uint64_t n;
		ssize_t k = read(T[i].fd, &n, 8);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k != 8)
			zdtm_fail("read timerfd: %zd %m", k);
		got(&T[i], n, zdtm_now_ns());
	}
}

int main(int argc, char **argv)
{
	uint64_t at_ready[NT], loops = 0;

	zdtm_init(argc, argv);
	for (int i = 0; i < NT; i++) {
		struct tfd *t = &T[i];
		t->fd = timerfd_create(t->clk, t->flags);
		if (t->fd < 0)
			zdtm_fail("timerfd_create: %m");
		struct itimerspec its = { { 0, t->period_ns }, { 0, t->period_ns } };
		t->t0 = zdtm_now_ns();
		if (timerfd_settime(t->fd, 0, &its, NULL))
			zdtm_fail("timerfd_settime: %m");
	}
	while (T[0].total < 300 || T[1].total < 40)
		step(100);
	for (int i = 0; i < NT; i++)
		at_ready[i] = T[i].total;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		step(100);
		loops++;
	}
	/* A last stretch of 300 ms after SIGTERM. */
	for (int i = 0; i < NT; i++) {
		if (!T[i].skip)
			end_stretch(&T[i]);
		T[i].last = 0;
		T[i].skip = 0;
	}
	uint64_t until = zdtm_now_ns() + 300000000ULL;
	while (zdtm_now_ns() < until)
		step(10);
	uint64_t end = zdtm_now_ns();
	for (int i = 0; i < NT; i++) {
		struct tfd *t = &T[i];
		struct itimerspec cur;
		if (!t->skip)
			end_stretch(t);
		if (timerfd_gettime(t->fd, &cur))
			zdtm_fail("timerfd_gettime: %m");
		uint64_t value = cur.it_value.tv_sec * 1000000000ULL + cur.it_value.tv_nsec;
		/*
		 * 0 left: disarmed, or due this very moment with the kernel's timer not run yet (seen
		 * under emulation). An armed periodic timer shows time left again a moment later.
		 */
		for (int again = 0; value == 0 && again < 5; again++) {
			zdtm_sleep_ms(1 + t->period_ns / 2000000);
			if (timerfd_gettime(t->fd, &cur))
				zdtm_fail("timerfd_gettime: %m");
			value = cur.it_value.tv_sec * 1000000000ULL + cur.it_value.tv_nsec;
		}
		uint64_t elapsed = (end - t->t0) / t->period_ns;
		int fl = fcntl(t->fd, F_GETFL);
		zdtm_log("timerfd %d: %llu expirations (%llu at ready), %llu periods elapsed, %llu stretches (%.0f ms) checked",
			 t->fd, (unsigned long long)t->total, (unsigned long long)at_ready[i], (unsigned long long)elapsed,
			 (unsigned long long)t->stretches, t->checked_ns / 1e6);
		zdtm_check(t->bad == 0, "timerfd %d: %llu stretches wrong", t->fd, (unsigned long long)t->bad);
		zdtm_check(t->total <= elapsed + 2, "timerfd %d: %llu expirations in %llu periods", t->fd,
			   (unsigned long long)t->total, (unsigned long long)elapsed);
		zdtm_check(t->total > at_ready[i], "timerfd %d: nothing after zdtm_ready", t->fd);
		zdtm_check(t->stretches > 0, "timerfd %d: no stretch long enough to check", t->fd);
		zdtm_check(cur.it_interval.tv_sec == 0 && (uint64_t)cur.it_interval.tv_nsec == t->period_ns,
			   "timerfd %d: interval %ld.%09ld", t->fd, (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
		zdtm_check(value > 0 && value <= t->period_ns, "timerfd %d: %llu ns left", t->fd, (unsigned long long)value);
		zdtm_check(!!(fl & O_NONBLOCK) == !!(t->flags & TFD_NONBLOCK), "timerfd %d: flags %#x", t->fd, fl);
	}
	zdtm_check(loops > 0, "the loop did not run after zdtm_ready");
	zdtm_finish();
}
