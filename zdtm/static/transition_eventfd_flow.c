/*
 * transition_eventfd_flow: two eventfds shared by the root and a child, their counters changing
 * the whole time the tree is dumped.
 *
 * State: the root hands the child tokens through a semaphore eventfd (EFD_SEMAPHORE: each read
 * takes exactly one), at most 64 ahead of what came back; for each token the child adds
 * 1 + (i % 7) to a plain eventfd counter (write i adds that much); the root reads the counter
 * (read returns the sum so far and zeroes it) and writes more tokens. Both counters are nonzero
 * most of the time, and either side may be blocked in read (the semaphore empty, the counter
 * zero) when the tree is frozen.
 * Check: the total the root has read is always a prefix sum of the series 1 + (i % 7), so it
 * tells exactly how many writes arrived (none lost, doubled or torn); every semaphore read in
 * the child returns 1; after SIGTERM the root stops handing out tokens, tells the child to
 * stop (SIGTERM), which reports through a pipe how many tokens it took and how much it added;
 * the root drains the counter and the semaphore (nonblocking): it read exactly what the child
 * added, and tokens taken + tokens left = tokens written; both moved after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define AHEAD 64

static uint64_t inc(uint64_t i)
{
	return 1 + i % 7;
}

/* Number of writes whose sum is exactly total, or -1 if total is no prefix sum. */
static int64_t writes_for(uint64_t total)
{
	uint64_t full = total / 28, rest = total % 28, n = full * 7, s = 0;	/* 1+2+...+7 = 28 */
	for (uint64_t i = 0; s < rest; i++) {
		s += inc(i);
		n++;
	}
	return s == rest ? (int64_t)n : -1;
}

int main(int argc, char **argv)
{
	int sem, cnt, rep[2], st;
	pid_t child;
	uint64_t tokens = 0, total = 0, bad = 0, at_ready = 0, got = 0, report[3];
	int64_t arrived = 0;

	zdtm_init(argc, argv);
	sem = eventfd(0, EFD_SEMAPHORE);
	cnt = eventfd(0, 0);
	if (sem < 0 || cnt < 0)
		zdtm_fail("eventfd: %m");
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		uint64_t taken = 0, added = 0, wrong = 0, v;
		close(rep[0]);
		while (!zdtm_term_requested()) {
			ssize_t r = read(sem, &v, 8);
			if (r < 0 && errno == EINTR)
				continue;
			if (r != 8)
				_exit(10);
			if (v != 1)
				wrong++;
			uint64_t a = inc(taken);
			while (write(cnt, &a, 8) != 8)
				if (errno != EINTR)
					_exit(11);
			taken++;
			added += a;
		}
		uint64_t m[3] = { taken, added, wrong };
		if (write(rep[1], m, sizeof(m)) != sizeof(m))
			_exit(12);
		_exit(0);
	}
	close(rep[1]);
	for (int running = 1; running;) {
		if (!at_ready && arrived > 10000) {
			at_ready = arrived;
			zdtm_ready();
		}
		if (at_ready && zdtm_term_requested())
			break;
		if ((int64_t)tokens - arrived < AHEAD) {
			uint64_t n = AHEAD - (tokens - arrived);
			if (write(sem, &n, 8) == 8)
				tokens += n;
			else if (errno != EINTR)
				zdtm_fail("write sem: %m");
		}
		uint64_t v;
		ssize_t r = read(cnt, &v, 8);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 8)
			zdtm_fail("read counter: %zd %m", r);
		total += v;
		arrived = writes_for(total);
		if (arrived < 0) {
			/* The counts cannot be followed any more: stop handing out tokens, wait for the end. */
			zdtm_log("total %llu is no prefix sum", (unsigned long long)total);
			bad++;
			running = 0;
			if (!at_ready)
				zdtm_fail("the counter went wrong before zdtm_ready");
			zdtm_wait_for_term();
		}
	}
	kill(child, SIGTERM);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended %#x", st);
	if (read(rep[0], report, sizeof(report)) != sizeof(report))
		zdtm_fail("no report from the child");
	/* What is left: the counter, and the tokens nobody took. */
	fcntl(cnt, F_SETFL, O_NONBLOCK);
	fcntl(sem, F_SETFL, O_NONBLOCK);
	uint64_t v;
	if (read(cnt, &v, 8) == 8)
		total += v;
	while (read(sem, &v, 8) == 8)
		got += v;
	zdtm_log("read %llu in total (%lld writes at ready), wrote %llu tokens; the child took %llu, added %llu; %llu tokens left",
		 (unsigned long long)total, (long long)at_ready, (unsigned long long)tokens, (unsigned long long)report[0],
		 (unsigned long long)report[1], (unsigned long long)got);
	zdtm_check(bad == 0, "the counter went wrong");
	zdtm_check(report[2] == 0, "the child read %llu semaphore values other than 1", (unsigned long long)report[2]);
	zdtm_check(total == report[1], "read %llu from the counter, the child added %llu", (unsigned long long)total,
		   (unsigned long long)report[1]);
	zdtm_check(writes_for(total) == (int64_t)report[0], "the total says %lld writes, the child made %llu",
		   (long long)writes_for(total), (unsigned long long)report[0]);
	zdtm_check(report[0] + got == tokens, "tokens: %llu taken + %llu left, %llu written", (unsigned long long)report[0],
		   (unsigned long long)got, (unsigned long long)tokens);
	zdtm_check(report[0] > (uint64_t)at_ready, "nothing moved after zdtm_ready");
	zdtm_finish();
}
