/*
 * stack_deep: a deep call stack with data in every frame.
 *
 * State: 3000 nested calls, each frame holding a 400-byte buffer filled
 * with a pattern seeded by its depth; the test waits for SIGTERM in the
 * deepest frame, about 1.5 MiB below the stack's start.
 * Check after SIGTERM: the deepest frame lies in the [stack] VMA, whose
 * start is unchanged or lower; while unwinding every frame verifies its
 * buffer and the chain of return values equals the value computed
 * independently by a loop; the stack can still grow: 2000 more frames of
 * 600 bytes are pushed below the deepest one (the stack must be restored
 * as growsdown).
 */
#include "zdtm.h"
#include <string.h>

#define DEPTH 3000
#define BUFSZ 400

static unsigned long stack_start_before;
static int bad_frames;

static __attribute__((noinline)) uint64_t grow_more(int n)
{
	uint8_t pad[600];
	memset(pad, n, sizeof(pad));
	__asm__ volatile("" : : "r"(pad) : "memory");
	return n ? grow_more(n - 1) + pad[17] : 0;
}

static uint64_t step(uint64_t h, int depth)
{
	return h * 1000003ULL + depth;
}

static __attribute__((noinline)) uint64_t descend(int depth)
{
	uint8_t buf[BUFSZ];
	struct zdtm_map m;
	uint64_t h = 0;

	zdtm_fill(buf, sizeof(buf), depth);
	__asm__ volatile("" : : "r"(buf) : "memory");
	if (depth == DEPTH / 2)
		zdtm_log("poke %p", buf + 5);
	if (depth < DEPTH) {
		h = descend(depth + 1);
	} else {
		if (zdtm_find_map(buf, &m) || strcmp(m.path, "[stack]"))
			zdtm_fail("deepest frame %p is not in [stack]", buf);
		stack_start_before = m.start;
		zdtm_log("deepest frame at %p, [stack] %lx-%lx", buf, m.start, m.end);
		zdtm_ready();
		zdtm_wait_for_term();
		if (zdtm_check(zdtm_find_map(buf, &m) == 0 && !strcmp(m.path, "[stack]"),
			       "deepest frame %p is not in [stack] after restore", buf))
			zdtm_check(m.start <= stack_start_before, "[stack] starts at %lx, was %lx",
				   m.start, stack_start_before);
		{
			uint64_t g = grow_more(2000), gw = 0;
			int k;
			for (k = 1; k <= 2000; k++)
				gw += k & 0xff;
			zdtm_check(g == gw, "deeper recursion returned %llu, expected %llu",
				   (unsigned long long)g, (unsigned long long)gw);
		}
	}
	__asm__ volatile("" : : "r"(buf) : "memory");
	if (zdtm_verify(buf, sizeof(buf), depth) >= 0 && bad_frames++ < 10)
		zdtm_check(0, "frame %d: buffer differs at %zd", depth,
			   zdtm_verify(buf, sizeof(buf), depth));
	return step(h, depth);
}

int main(int argc, char **argv)
{
	uint64_t got, want = 0;
	int d;

	zdtm_init(argc, argv);
	got = descend(1);
	for (d = DEPTH; d >= 1; d--)
		want = step(want, d);
	zdtm_check(got == want, "return chain %llx, expected %llx", (unsigned long long)got,
		   (unsigned long long)want);
	zdtm_check(bad_frames == 0, "%d frames corrupted", bad_frames);
	zdtm_finish();
}
