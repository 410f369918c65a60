/*
 * transition_mmap_churn: mappings created, filled, reprotected, checked and unmapped the whole
 * time the process is dumped.
 *
 * State: a ring of 16 anonymous regions (1 to 96 pages, private or shared, some with a hole
 * unmapped in the middle, some with part made read-only or inaccessible by mprotect). Each
 * round replaces the oldest region: it is verified, unmapped, and a new one mapped, filled with
 * a pattern seeded by its round and reprotected. So the address space changes all the time and
 * every region lives across several rounds, many across a checkpoint.
 * Check, each round for the region retired: every byte still has the pattern of its round (or
 * is zero where the test never wrote), its CRC equals the one recorded when it was filled, and
 * (every 8th round) /proc/self/maps shows each of its parts with the protection and sharing
 * the test gave it, the hole unmapped (or holding a newer region of the ring); after SIGTERM also every live region, a write to a
 * read-only part and a read of a PROT_NONE part still fault, and no check ever failed.
 * noauto: amber restores a shared anonymous object mapped by several VMAs (the mapping split by
 * the hole or by mprotect) with the size of its first VMA and maps the others past its end:
 * the first access there after the restore is a SIGBUS.
 */
#include "zdtm.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RING 16
#define PG 4096UL

struct region {
	uint8_t *addr;
	size_t pages;
	uint64_t round;
	int shared;
	size_t hole_at, hole_len;	/* pages, hole_len 0: no hole */
	size_t ro_at, ro_len;		/* a part made PROT_READ */
	size_t none_at, none_len;	/* a part made PROT_NONE */
	uint32_t crc;			/* of the readable parts, in order */
};

static struct region ring[RING];
static uint64_t bad;

static int in(size_t p, size_t at, size_t len)
{
	return p >= at && p < at + len;
}

/* Pages of the pattern: every page except the hole; page k of every 5th region stays zero when k % 3 == 2. */
static int written(const struct region *r, size_t p)
{
	return !(r->round % 5 == 0 && p % 3 == 2);
}

static uint32_t region_crc(const struct region *r)
{
	uint32_t crc = 0;
	for (size_t p = 0; p < r->pages; p++)
		if (!in(p, r->hole_at, r->hole_len) && !in(p, r->none_at, r->none_len))
			crc = zdtm_crc32(crc, r->addr + p * PG, PG);
	return crc;
}

static void make_region(struct region *r, uint64_t round)
{
	uint64_t h = zdtm_mix64(round + 1);
	memset(r, 0, sizeof(*r));
	r->round = round;
	r->pages = 1 + h % 96;
	r->shared = (h >> 8) % 3 == 0;
	r->addr = mmap(NULL, r->pages * PG, PROT_READ | PROT_WRITE,
		       (r->shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
	if (r->addr == MAP_FAILED)
		zdtm_fail("mmap %zu pages: %m", r->pages);
	for (size_t p = 0; p < r->pages; p++)
		if (written(r, p))
			zdtm_fill_at(r->addr + p * PG, PG, round, p * PG);
	if (r->pages >= 8) {
		size_t third = (r->pages - 4) / 2;	/* hole, read-only part and PROT_NONE page fit */
		r->hole_at = 1 + (h >> 16) % third;
		r->hole_len = 1 + (h >> 24) % 2;
		r->ro_at = r->hole_at + r->hole_len + 1;
		r->ro_len = 1 + (h >> 32) % third;	/* ends by 2 * third + 3 <= pages - 1 */
		if ((h >> 40) % 2) {
			r->none_at = r->ro_at + r->ro_len;
			r->none_len = 1;
		}
		if (r->ro_at + r->ro_len + r->none_len > r->pages)
			zdtm_fail("region layout out of bounds");
		if (munmap(r->addr + r->hole_at * PG, r->hole_len * PG))
			zdtm_fail("munmap hole: %m");
		if (mprotect(r->addr + r->ro_at * PG, r->ro_len * PG, PROT_READ))
			zdtm_fail("mprotect ro: %m");
		if (r->none_len && mprotect(r->addr + r->none_at * PG, r->none_len * PG, PROT_NONE))
			zdtm_fail("mprotect none: %m");
	}
	r->crc = region_crc(r);
}

static const char *perms_of(const struct region *r, size_t p)
{
	if (in(p, r->ro_at, r->ro_len))
		return r->shared ? "r--s" : "r--p";
	if (in(p, r->none_at, r->none_len))
		return r->shared ? "---s" : "---p";
	return r->shared ? "rw-s" : "rw-p";
}

/* Does a live region other than r map the page at a? */
static int owned_by_other(const uint8_t *a, const struct region *r)
{
	for (int i = 0; i < RING; i++) {
		const struct region *o = &ring[i];
		if (o == r || !o->addr || a < o->addr || a >= o->addr + o->pages * PG)
			continue;
		return !in((size_t)(a - o->addr) / PG, o->hole_at, o->hole_len);
	}
	return 0;
}

static void verify_region(const struct region *r, int maps, int probes)
{
	for (size_t p = 0; p < r->pages; p++) {
		uint8_t *pg = r->addr + p * PG;
		if (in(p, r->hole_at, r->hole_len)) {
			struct zdtm_map m;
			/* The kernel may have put a newer region into the hole; nothing else. */
			if (maps && zdtm_find_map(pg, &m) == 0 && !owned_by_other(pg, r) && bad++ < 10)
				zdtm_log("round %llu: page %zu of the hole is mapped (%lx-%lx)", (unsigned long long)r->round, p,
					 m.start, m.end);
			continue;
		}
		if (maps && zdtm_range_perms(pg, PG, perms_of(r, p)) && bad++ < 10)
			zdtm_log("round %llu: page %zu is not %s", (unsigned long long)r->round, p, perms_of(r, p));
		if (in(p, r->none_at, r->none_len)) {
			if (probes && zdtm_probe(pg, ZDTM_PROBE_READ, 0, NULL) && bad++ < 10)
				zdtm_log("round %llu: PROT_NONE page %zu readable", (unsigned long long)r->round, p);
			continue;
		}
		ssize_t off = written(r, p) ? zdtm_verify_at(pg, PG, r->round, p * PG) : zdtm_find_nonzero(pg, PG);
		if (off >= 0 && bad++ < 10)
			zdtm_log("round %llu: page %zu of %zu wrong at %zd: %#x", (unsigned long long)r->round, p, r->pages,
				 off, pg[off]);
		if (probes && in(p, r->ro_at, r->ro_len) && zdtm_probe(pg, ZDTM_PROBE_WRITE, 1, NULL) && bad++ < 10)
			zdtm_log("round %llu: read-only page %zu writable", (unsigned long long)r->round, p);
	}
	if (region_crc(r) != r->crc && bad++ < 10)
		zdtm_log("round %llu: CRC %08x, recorded %08x", (unsigned long long)r->round, region_crc(r), r->crc);
}

/* Around the hole: a newer region may live in it. */
static void unmap_region(struct region *r)
{
	size_t end = r->hole_len ? r->hole_at : r->pages;
	if (munmap(r->addr, end * PG))
		zdtm_fail("munmap: %m");
	if (r->hole_len && munmap(r->addr + (r->hole_at + r->hole_len) * PG, (r->pages - r->hole_at - r->hole_len) * PG))
		zdtm_fail("munmap: %m");
	r->addr = NULL;
}

int main(int argc, char **argv)
{
	uint64_t round = 0, at_ready;

	zdtm_init(argc, argv);
	for (; round < RING; round++)
		make_region(&ring[round % RING], round);
	for (; round < 4 * RING; round++) {
		struct region *r = &ring[round % RING];
		verify_region(r, 1, 1);
		unmap_region(r);
		make_region(r, round);
	}
	if (bad)
		zdtm_fail("%llu errors before zdtm_ready", (unsigned long long)bad);
	at_ready = round;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		struct region *r = &ring[round % RING];
		verify_region(r, round % 8 == 0, 0);
		unmap_region(r);
		make_region(r, round);
		round++;
	}
	for (int i = 0; i < RING; i++)
		verify_region(&ring[i], 1, 1);
	zdtm_log("%llu rounds (%llu at ready)", (unsigned long long)round, (unsigned long long)at_ready);
	zdtm_check(bad == 0, "%llu wrong pages or mappings", (unsigned long long)bad);
	zdtm_check(round > at_ready, "no round after zdtm_ready");
	zdtm_finish();
}
