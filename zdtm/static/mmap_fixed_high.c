/*
 * mmap_fixed_high: anonymous mappings at fixed addresses far from the
 * usual mmap area.
 *
 * State: 4 rw pages at 0x7e0000000000 (high), 2 read-only pages right
 * above them (a separate VMA), and 4 rw pages at 0x10000000 (low), all
 * placed with MAP_FIXED_NOREPLACE and filled with patterns.
 * Check after SIGTERM: each VMA is exactly where it was, with the same
 * bounds and perms, and holds its pattern.
 */
#include "zdtm.h"
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HIGH 0x7e0000000000UL
#define LOW 0x10000000UL

struct fixed {
	unsigned long addr;
	int pages, prot;
	const char *perms;
};

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	struct fixed f[3] = {
		{ HIGH, 4, PROT_READ | PROT_WRITE, "rw-p" },
		{ HIGH + 4 * psz, 2, PROT_READ, "r--p" },
		{ LOW, 4, PROT_READ | PROT_WRITE, "rw-p" },
	};
	struct zdtm_map m;
	int k;

	zdtm_init(argc, argv);
	for (k = 0; k < 3; k++) {
		void *p = mmap((void *)f[k].addr, f[k].pages * psz, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p != (void *)f[k].addr)
			zdtm_fail("mmap at %#lx returned %p: %m", f[k].addr, p);
		zdtm_fill(p, f[k].pages * psz, 700 + k);
		if (mprotect(p, f[k].pages * psz, f[k].prot))
			zdtm_fail("mprotect: %m");
	}
	zdtm_log("poke %#lx", HIGH + 2 * psz + 8);
	zdtm_log("poke %#lx", LOW + 3 * psz + 8);

	zdtm_ready();
	zdtm_wait_for_term();

	for (k = 0; k < 3; k++) {
		unsigned long end = f[k].addr + f[k].pages * psz;
		ssize_t bad;
		if (!zdtm_check(zdtm_find_map((void *)f[k].addr, &m) == 0, "nothing mapped at %#lx",
				f[k].addr))
			continue;
		zdtm_check(m.start == f[k].addr && m.end == end && !strcmp(m.perms, f[k].perms),
			   "VMA %lx-%lx %s, expected %lx-%lx %s", m.start, m.end, m.perms,
			   f[k].addr, end, f[k].perms);
		bad = zdtm_verify((void *)f[k].addr, f[k].pages * psz, 700 + k);
		zdtm_check(bad < 0, "mapping at %#lx differs at %zd", f[k].addr, bad);
	}
	zdtm_finish();
}
