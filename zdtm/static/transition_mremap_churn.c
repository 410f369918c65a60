/*
 * transition_mremap_churn: regions grown, shrunk and moved by mremap the whole time they are dumped.
 *
 * State: two private anonymous regions whose sizes change every round between 1 and 512 pages.
 * The first lives in a reserved PROT_NONE window: it grows in place over the reservation,
 * shrinks in place, and every 16th round moves (MREMAP_FIXED) to the other half of the window.
 * The second is resized with MREMAP_MAYMOVE alone, so the kernel moves it when it cannot grow
 * in place. Contents follow a seeded pattern by offset: what survives a shrink or a move keeps
 * it, what a growth adds must read zero and is then filled.
 * Check each round: the whole of both regions has the pattern (no byte lost, stale or shifted by
 * a move), grown parts are zero before the fill, the regions are where mremap put them (every
 * 8th round: /proc/self/maps shows them rw-p with their sizes, the window's rest PROT_NONE);
 * after SIGTERM the same for the final state, and rounds went on after zdtm_ready.
 */
#include "zdtm.h"
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096UL
#define MAXP 512UL

struct rr {
	uint8_t *addr;
	size_t pages;
	uint64_t seed;
	int windowed;
	uint8_t *slot[2];	/* the two halves of the reserved window */
	int in;			/* the slot it is in */
	uint64_t moves;
};

static uint64_t bad;

static void reserve(uint8_t *at, size_t pages)
{
	if (pages && mmap(at, pages * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		zdtm_fail("mmap reserve: %m");
}

static void check_maps(struct rr *r, uint64_t round)
{
	struct zdtm_map m;
	if (zdtm_range_perms(r->addr, r->pages * PG, "rw-p") && bad++ < 10)
		zdtm_log("round %llu: [%p, +%zu pages) not mapped rw-p", (unsigned long long)round, r->addr, r->pages);
	if (!r->windowed)
		return;
	if (r->pages < MAXP && (zdtm_find_map(r->addr + r->pages * PG, &m) || strcmp(m.perms, "---p")) && bad++ < 10)
		zdtm_log("round %llu: the window after the region is not reserved", (unsigned long long)round);
	if (zdtm_range_perms(r->slot[!r->in], MAXP * PG, "---p") && bad++ < 10)
		zdtm_log("round %llu: the other half of the window is not reserved", (unsigned long long)round);
}

static void check_contents(struct rr *r, uint64_t round)
{
	ssize_t off = zdtm_verify(r->addr, r->pages * PG, r->seed);
	if (off >= 0 && bad++ < 10)
		zdtm_log("round %llu: region %d of %zu pages wrong at %zd", (unsigned long long)round, r->windowed, r->pages, off);
}

static void resize(struct rr *r, size_t pages, uint64_t round)
{
	uint8_t *n;
	size_t old = r->pages;
	int move = r->windowed && round % 16 == 15;

	if (!r->windowed) {
		n = mremap(r->addr, old * PG, pages * PG, MREMAP_MAYMOVE);
		if (n != MAP_FAILED && n != r->addr)
			r->moves++;
	} else if (move) {
		int to = !r->in;
		n = mremap(r->addr, old * PG, pages * PG, MREMAP_MAYMOVE | MREMAP_FIXED, r->slot[to]);
		if (n != MAP_FAILED && n != r->slot[to])
			zdtm_fail("mremap moved to %p, asked for %p", n, r->slot[to]);
		if (n != MAP_FAILED) {
			r->in = to;
			r->moves++;
			reserve(r->slot[!to], MAXP);
			reserve(n + pages * PG, MAXP - pages);
		}
	} else {
		if (pages > old && munmap(r->addr + old * PG, (pages - old) * PG))
			zdtm_fail("munmap: %m");
		n = mremap(r->addr, old * PG, pages * PG, 0);
		if (n != MAP_FAILED && n != r->addr)
			zdtm_fail("mremap in place moved the region");
		if (n != MAP_FAILED && pages < old)
			reserve(n + pages * PG, old - pages);
	}
	if (n == MAP_FAILED)
		zdtm_fail("round %llu: mremap %zu -> %zu pages: %m", (unsigned long long)round, old, pages);
	r->addr = n;
	r->pages = pages;
	if (pages > old) {
		ssize_t nz = zdtm_find_nonzero(n + old * PG, (pages - old) * PG);
		if (nz >= 0 && bad++ < 10)
			zdtm_log("round %llu: grown part not zero at %zd", (unsigned long long)round, nz);
		zdtm_fill_at(n + old * PG, (pages - old) * PG, r->seed, old * PG);
	}
}

static void setup(struct rr *r, int windowed, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->windowed = windowed;
	r->seed = seed;
	r->pages = 4;
	if (windowed) {
		uint8_t *w = mmap(NULL, 2 * MAXP * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (w == MAP_FAILED)
			zdtm_fail("mmap window: %m");
		r->slot[0] = w;
		r->slot[1] = w + MAXP * PG;
		r->addr = mmap(w, r->pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	} else {
		r->addr = mmap(NULL, r->pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	if (r->addr == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(r->addr, r->pages * PG, seed);
}

static size_t next_size(struct rr *r, uint64_t round, int i)
{
	uint64_t h = zdtm_mix64(round * 2 + i);
	if (h % 8 == 0)	/* sometimes a jump */
		return 1 + (h >> 8) % MAXP;
	long np = (long)r->pages + (long)((h >> 16) % 33) - 16;
	return np < 1 ? 1 : np > (long)MAXP ? MAXP : (size_t)np;
}

int main(int argc, char **argv)
{
	struct rr r[2];
	uint64_t round = 0, at_ready = 0;

	zdtm_init(argc, argv);
	setup(&r[0], 1, 0x1234);
	setup(&r[1], 0, 0x5678);
	for (;; round++) {
		if (round == 200) {
			if (bad)
				zdtm_fail("%llu errors before zdtm_ready", (unsigned long long)bad);
			at_ready = round;
			zdtm_ready();
		}
		if (round > 200 && zdtm_term_requested())
			break;
		for (int i = 0; i < 2; i++) {
			resize(&r[i], next_size(&r[i], round, i), round);
			check_contents(&r[i], round);
			if (round % 8 == 0)
				check_maps(&r[i], round);
		}
	}
	for (int i = 0; i < 2; i++) {
		check_contents(&r[i], round);
		check_maps(&r[i], round);
		zdtm_log("region %d: %zu pages at %p, moved %llu times", i, r[i].pages, r[i].addr,
			 (unsigned long long)r[i].moves);
	}
	zdtm_log("%llu rounds (%llu at ready)", (unsigned long long)round, (unsigned long long)at_ready);
	zdtm_check(bad == 0, "%llu wrong regions", (unsigned long long)bad);
	zdtm_check(round > at_ready + 1, "no round after zdtm_ready");
	zdtm_finish();
}
