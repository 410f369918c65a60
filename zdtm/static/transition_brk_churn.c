/*
 * transition_brk_churn: the heap's end moved up and down with brk the whole time the tree is
 * dumped, its contents checked at every step.
 *
 * State: a loop grows the program break by 1..64 pages (sbrk), fills the new pages with a
 * pattern of their offset from the heap's start and of the round, checks every page below the
 * break against the pattern it was given, then shrinks the break by a random amount (never below
 * a base of 16 pages, which keep the pattern of round 0); so the break, the heap VMA's size and
 * its contents change under the freeze, and a checkpoint can land between any two steps.
 * Check: every check of every round (before and after each checkpoint) found each page as it
 * was written; the break read back with sbrk(0) is where the loop put it; the loop ran after
 * zdtm_ready.
 */
#include "zdtm.h"
#include <malloc.h>
#include <unistd.h>

#define PAGE 4096UL
#define BASE 16UL
#define MAXP 1024UL

/* The round each page of the heap was last written in (pages at or above the break: none). */
static uint32_t written[MAXP];

static uint64_t word_of(unsigned long page, uint32_t round)
{
	return ((uint64_t)page << 32) ^ round ^ 0x9e3779b97f4a7c15ull;
}

static void fill_page(char *heap, unsigned long page, uint32_t round)
{
	uint64_t *w = (uint64_t *)(heap + page * PAGE);
	for (unsigned long i = 0; i < PAGE / 8; i++)
		w[i] = word_of(page, round) + i;
	written[page] = round;
}

static unsigned long check_pages(char *heap, unsigned long pages)
{
	unsigned long bad = 0;
	for (unsigned long p = 0; p < pages; p++) {
		uint64_t *w = (uint64_t *)(heap + p * PAGE);
		for (unsigned long i = 0; i < PAGE / 8; i += 61)
			if (w[i] != word_of(p, written[p]) + i) {
				zdtm_log("page %lu word %lu: %#llx", p, i, (unsigned long long)w[i]);
				bad++;
				break;
			}
	}
	return bad;
}

int main(int argc, char **argv)
{
	char *heap;
	unsigned long pages = BASE, bad = 0, rounds = 0, at_ready = 0;
	uint64_t rng = 0x1234567;

	zdtm_init(argc, argv);
	/* Every malloc from here on (zdtm_ready's, a log line's) is an mmap: none moves the break. */
	mallopt(M_MMAP_THRESHOLD, 0);
	mallopt(M_TRIM_THRESHOLD, -1);
	/* A page-aligned start: whatever malloc left in the heap stays below it, untouched. */
	heap = sbrk(0);
	if (sbrk((intptr_t)(PAGE - ((uintptr_t)heap & (PAGE - 1)))) == (void *)-1)
		zdtm_fail("sbrk: %m");
	heap = sbrk(0);
	if (sbrk((intptr_t)(BASE * PAGE)) == (void *)-1)
		zdtm_fail("sbrk: %m");
	for (unsigned long p = 0; p < BASE; p++)
		fill_page(heap, p, 0);
	for (int ready = 0;;) {
		if (!ready && rounds == 200) {
			at_ready = rounds;
			zdtm_ready();
			ready = 1;
		}
		if (ready && zdtm_term_requested())
			break;
		rng = rng * 6364136223846793005ull + 1442695040888963407ull;
		unsigned long grow = 1 + (rng >> 33) % 64;
		if (pages + grow > MAXP)
			grow = MAXP - pages;
		if (sbrk((intptr_t)(grow * PAGE)) == (void *)-1)
			zdtm_fail("sbrk +%lu pages: %m", grow);
		for (unsigned long p = pages; p < pages + grow; p++)
			fill_page(heap, p, (uint32_t)rounds + 1);
		pages += grow;
		bad += check_pages(heap, pages);
		if ((char *)sbrk(0) != heap + pages * PAGE) {
			zdtm_log("break at %p, expected %p", sbrk(0), heap + pages * PAGE);
			bad++;
		}
		unsigned long shrink = (rng >> 45) % (pages - BASE + 1);
		if (sbrk(-(intptr_t)(shrink * PAGE)) == (void *)-1)
			zdtm_fail("sbrk -%lu pages: %m", shrink);
		pages -= shrink;
		rounds++;
		if (bad)
			break;
	}
	bad += check_pages(heap, pages);
	zdtm_log("%lu rounds, %lu pages at the end", rounds, pages);
	zdtm_check(bad == 0, "%lu pages differed", bad);
	zdtm_check((char *)sbrk(0) == heap + pages * PAGE, "the break moved on its own");
	zdtm_check(rounds > at_ready, "no round after zdtm_ready");
	zdtm_finish();
}
