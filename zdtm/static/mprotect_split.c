/*
 * mprotect_split: one anonymous mapping split into several VMAs by
 * mprotect().
 *
 * State: a 12-page private anonymous mapping with its first and last page
 * unmapped (so 10 pages with holes on both sides), filled with a pattern,
 * then pages 3-5 made read-only and page 8 PROT_NONE, leaving five VMAs:
 * rw (3) | r (3) | rw (2) | none (1) | rw (1).
 * Check after SIGTERM: /proc/self/maps shows exactly these five VMAs with
 * these boundaries and perms and nothing mapped in the holes; the contents
 * (via /proc/self/mem) match the pattern; a write to the read-only part and
 * a read of the PROT_NONE page fault, a write to the rw parts works.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 10
#define SEED 61

static const struct { int first, n; const char *perms; } vmas[] = {
	{ 0, 3, "rw-p" }, { 3, 3, "r--p" }, { 6, 2, "rw-p" }, { 8, 1, "---p" }, { 9, 1, "rw-p" },
};

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	uint8_t *outer, *r, *copy;
	struct zdtm_map m;
	unsigned k;
	ssize_t bad;
	int fd;

	zdtm_init(argc, argv);
	outer = mmap(NULL, (PAGES + 2) * psz, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (outer == MAP_FAILED)
		zdtm_fail("mmap: %m");
	r = outer + psz;
	if (munmap(outer, psz) || munmap(r + PAGES * psz, psz))
		zdtm_fail("munmap: %m");
	zdtm_fill(r, PAGES * psz, SEED);
	if (mprotect(r + 3 * psz, 3 * psz, PROT_READ) || mprotect(r + 8 * psz, psz, PROT_NONE))
		zdtm_fail("mprotect: %m");
	zdtm_log("mapping at %p", r);
	zdtm_log("poke %p", r + 4 * psz + 11);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(r - psz, &m) != 0, "the hole before the mapping is mapped");
	zdtm_check(zdtm_find_map(r + PAGES * psz, &m) != 0, "the hole after the mapping is mapped");
	for (k = 0; k < sizeof(vmas) / sizeof(vmas[0]); k++) {
		unsigned long s = (unsigned long)r + vmas[k].first * psz, e = s + vmas[k].n * psz;
		if (!zdtm_check(zdtm_find_map((void *)s, &m) == 0, "VMA %u at %lx is gone", k, s))
			continue;
		zdtm_check(m.start == s && m.end == e, "VMA %u is %lx-%lx, expected %lx-%lx",
			   k, m.start, m.end, s, e);
		zdtm_check(!strcmp(m.perms, vmas[k].perms), "VMA %u has %s, expected %s",
			   k, m.perms, vmas[k].perms);
	}
	copy = xmalloc(PAGES * psz);
	fd = open("/proc/self/mem", O_RDONLY);
	if (fd < 0 || pread(fd, copy, PAGES * psz, (off_t)(unsigned long)r) != PAGES * psz)
		zdtm_fail("read /proc/self/mem: %m");
	close(fd);
	bad = zdtm_verify(copy, PAGES * psz, SEED);
	zdtm_check(bad < 0, "contents differ at offset %zd (page %zd)", bad, bad / psz);
	zdtm_check(!zdtm_probe(r + 4 * psz, ZDTM_PROBE_WRITE, copy[4 * psz], NULL),
		   "the read-only part is writable");
	zdtm_check(zdtm_probe(r + 4 * psz, ZDTM_PROBE_READ, 0, NULL), "the read-only part is unreadable");
	zdtm_check(!zdtm_probe(r + 8 * psz, ZDTM_PROBE_READ, 0, NULL), "the PROT_NONE page is readable");
	zdtm_check(zdtm_probe(r + 7 * psz, ZDTM_PROBE_WRITE, copy[7 * psz], NULL) &&
		   zdtm_probe(r + 9 * psz, ZDTM_PROBE_WRITE, copy[9 * psz], NULL),
		   "an rw part is not writable");
	zdtm_finish();
}
