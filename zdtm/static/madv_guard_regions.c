/*
 * madv_guard_regions: guard regions installed with MADV_GUARD_INSTALL inside an anonymous
 * mapping (no VMA split: /proc/self/maps still shows one VMA).
 *
 * State: an 8-page private anonymous rw region G in a PROT_NONE reservation, filled with a
 * pattern, then pages 2 and 5 made guard pages (MADV_GUARD_INSTALL, Linux 6.13+).
 * Check after SIGTERM: G is still one 8-page rw-p VMA; reads and writes of pages 2 and 5
 * fault (SIGSEGV), pages 0,1,3,4,6,7 hold the pattern and take writes; pagemap reports
 * pages 2 and 5 as guards (bit 58) where the kernel reports it; MADV_GUARD_REMOVE makes
 * page 2 accessible again, reading zero.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#endif

#define PG 4096
#define NP 8

static uint64_t pagemap_entry(void *a)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, &e, 8, (off_t)((uintptr_t)a / PG) * 8) != 8)
			e = 0;
		close(fd);
	}
	return e;
}

static int guarded(int i) { return i == 2 || i == 5; }

int main(int argc, char **argv)
{
	uint8_t *res, *g;
	struct zdtm_map m;
	int i, guard_bit;
	ssize_t bad;

	zdtm_init(argc, argv);
	res = mmap(NULL, (NP + 2) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		zdtm_fail("mmap: %m");
	g = res + PG;
	if (mprotect(g, NP * PG, PROT_READ | PROT_WRITE))
		zdtm_fail("mprotect: %m");
	zdtm_fill(g, NP * PG, 1313);
	if (madvise(g + 2 * PG, PG, MADV_GUARD_INSTALL)) {
		if (errno == EINVAL)
			zdtm_skip("MADV_GUARD_INSTALL not supported");
		zdtm_fail("MADV_GUARD_INSTALL: %m");
	}
	if (madvise(g + 5 * PG, PG, MADV_GUARD_INSTALL))
		zdtm_fail("MADV_GUARD_INSTALL: %m");
	guard_bit = (pagemap_entry(g + 2 * PG) >> 58) & 1;
	if (zdtm_probe(g + 2 * PG, ZDTM_PROBE_READ, 0, NULL) != 0)
		zdtm_fail("set-up: the guard page reads");
	zdtm_log("G %p, pagemap guard bit %s", (void *)g, guard_bit ? "reported" : "not reported");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(g, &m) == 0 && m.start == (unsigned long)g && m.end == (unsigned long)(g + NP * PG) &&
			   !strcmp(m.perms, "rw-p"),
		   "G: VMA %lx-%lx %s, expected %p+%d rw-p", m.start, m.end, m.perms, (void *)g, NP * PG);
	for (i = 0; i < NP; i++) {
		uint8_t *p = g + i * PG;
		if (guarded(i)) {
			zdtm_check(zdtm_probe(p, ZDTM_PROBE_READ, 0, NULL) == 0, "page %d: a read of the guard page worked", i);
			zdtm_check(zdtm_probe(p + 100, ZDTM_PROBE_WRITE, 1, NULL) == 0, "page %d: a write to the guard page worked", i);
			if (guard_bit)
				zdtm_check((pagemap_entry(p) >> 58) & 1, "page %d: pagemap has no guard bit", i);
		} else {
			zdtm_check((bad = zdtm_verify_at(p, PG, 1313, (uint64_t)i * PG)) < 0, "page %d differs at +%zd", i, bad);
			zdtm_check(zdtm_probe(p + 7, ZDTM_PROBE_WRITE, 0x42, NULL) == 1, "page %d does not take a write", i);
		}
	}
	zdtm_check(madvise(g + 2 * PG, PG, MADV_GUARD_REMOVE) == 0, "MADV_GUARD_REMOVE: %m");
	zdtm_check(zdtm_probe(g + 2 * PG, ZDTM_PROBE_READ, 0, NULL) == 1 && zdtm_find_nonzero(g + 2 * PG, PG) < 0,
		   "page 2 after MADV_GUARD_REMOVE: not readable or not zero");
	zdtm_finish();
}
