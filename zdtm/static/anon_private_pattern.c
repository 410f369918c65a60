/*
 * anon_private_pattern: private anonymous memory.
 *
 * State: several mmap(MAP_PRIVATE|MAP_ANONYMOUS) regions of different
 * sizes (1 page to 8 MiB + 1 page). In each region some pages are filled
 * with a pattern seeded by the region and some are never touched; one
 * region is never touched at all.
 * Check after SIGTERM: every region is still an rw-p mapping at the same
 * address; written pages hold their pattern (position dependent, so a page
 * restored at the wrong offset is caught); untouched pages read zero.
 */
#include "zdtm.h"
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NREG 6

struct region {
	size_t pages;
	int stride;	/* fill page i if i % stride != stride - 1; 0: touch nothing */
	uint8_t *addr;
};

static struct region regs[NREG] = {
	{ 1, 1 }, { 3, 2 }, { 16, 3 }, { 256, 5 }, { 2049, 4 }, { 64, 0 },
};

static int filled(const struct region *r, size_t i)
{
	return r->stride && (r->stride == 1 || (int)(i % r->stride) != r->stride - 1);
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t i, k;

	zdtm_init(argc, argv);
	for (k = 0; k < NREG; k++) {
		struct region *r = &regs[k];
		r->addr = mmap(NULL, r->pages * psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (r->addr == MAP_FAILED)
			zdtm_fail("mmap %zu pages: %m", r->pages);
		for (i = 0; i < r->pages; i++)
			if (filled(r, i))
				zdtm_fill_at(r->addr + i * psz, psz, 1000 + k, i * psz);
		zdtm_log("region %zu: %zu pages at %p", k, r->pages, r->addr);
	}
	/* A byte a corruption test can flip: page 0 of region 3. */
	zdtm_log("poke %p", regs[3].addr + 17);

	zdtm_ready();
	zdtm_wait_for_term();

	for (k = 0; k < NREG; k++) {
		struct region *r = &regs[k];
		zdtm_check(zdtm_range_perms(r->addr, r->pages * psz, "rw-p") == 0,
			   "region %zu at %p is no longer rw-p anonymous", k, r->addr);
		for (i = 0; i < r->pages; i++) {
			uint8_t *pg = r->addr + i * psz;
			ssize_t bad;
			if (filled(r, i)) {
				bad = zdtm_verify_at(pg, psz, 1000 + k, i * psz);
				zdtm_check(bad < 0, "region %zu page %zu: pattern differs at byte %zd",
					   k, i, bad);
			} else {
				bad = zdtm_find_nonzero(pg, psz);
				zdtm_check(bad < 0, "region %zu page %zu: untouched page has data at byte %zd",
					   k, i, bad);
			}
		}
	}
	zdtm_finish();
}
