/*
 * mlock_region: locked anonymous memory, one region mlock()ed, one mlock2(MLOCK_ONFAULT)ed.
 *
 * State: inside a PROT_NONE reservation (so neither region has a neighbour to merge with)
 * region A, 16 pages rw, filled with a pattern and mlock()ed; region B, 16 pages rw,
 * mlock2(MLOCK_ONFAULT)ed, with pattern written to 5 of its pages only (0, 3, 7, 8, 15).
 * Check after SIGTERM: VmLck in /proc/self/status equals the value before, which is
 * 32 pages (both regions are counted whole); in /proc/self/smaps A is one VMA of exactly
 * 16 pages with VmFlags "lo" and not "lf", Rss and Locked 16 pages; B is one VMA of exactly
 * 16 pages with "lo" and "lf", Rss and Locked 5 pages; pagemap agrees (16 and 5 pages
 * present: a restore must not fault in B's other pages); contents of A and of B's written
 * pages intact, B's other pages zero.
 */
#include "zdtm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NP 16

struct vma_info {
	unsigned long start, end;
	char flags[256];
	long rss_kb, locked_kb;
};

static char smaps_buf[1 << 20];

/* The smaps entry of the VMA containing addr: 0 if found. */
static int smaps_vma(const void *addr, struct vma_info *v)
{
	char *line, *save = NULL;
	int in = 0;

	zdtm_read_file("/proc/self/smaps", smaps_buf, sizeof(smaps_buf));
	memset(v, 0, sizeof(*v));
	for (line = strtok_r(smaps_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long s, e;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
			if (in)
				return 0;
			in = (unsigned long)addr >= s && (unsigned long)addr < e;
			v->start = s;
			v->end = e;
			continue;
		}
		if (!in)
			continue;
		if (!strncmp(line, "Rss:", 4))
			v->rss_kb = strtol(line + 4, NULL, 10);
		else if (!strncmp(line, "Locked:", 7))
			v->locked_kb = strtol(line + 7, NULL, 10);
		else if (!strncmp(line, "VmFlags:", 8))
			snprintf(v->flags, sizeof(v->flags), " %s ", line + 8);
	}
	return in ? 0 : -1;
}

static int has_flag(const struct vma_info *v, const char *f)
{
	char pat[8];
	snprintf(pat, sizeof(pat), " %s ", f);
	return strstr(v->flags, pat) != NULL;
}

static const int b_pages[] = { 0, 3, 7, 8, 15 };

static int b_written(int i)
{
	unsigned k;
	for (k = 0; k < sizeof(b_pages) / sizeof(b_pages[0]); k++)
		if (b_pages[k] == i)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE), kb;
	char vmlck[64], now[64], want[64];
	struct vma_info v;
	uint8_t *res, *a, *b;
	long n;
	int i;

	zdtm_init(argc, argv);
	res = mmap(NULL, (2 * NP + 3) * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		zdtm_fail("mmap: %m");
	a = mmap(res + pg, NP * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	b = mmap(res + (NP + 2) * pg, NP * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(a, NP * pg, 41);
	if (mlock(a, NP * pg))
		zdtm_fail("mlock: %m");
	if (mlock2(b, NP * pg, MLOCK_ONFAULT))
		zdtm_fail("mlock2: %m");
	for (i = 0; i < NP; i++)
		if (b_written(i))
			zdtm_fill_at(b + i * pg, pg, 42, i * pg);
	/* Older kernels (5.10) print VM_LOCKONFAULT as "??", no mnemonic: nothing can tell it there. */
	if (smaps_vma(b, &v) == 0 && !has_flag(&v, "lf"))
		zdtm_skip("this kernel's smaps does not name VM_LOCKONFAULT (\"lf\"; VmFlags:%s)", v.flags);
	zdtm_status_field("VmLck", vmlck, sizeof(vmlck));
	kb = 2 * NP * pg / 1024;
	snprintf(want, sizeof(want), "%ld kB", kb);
	if (strcmp(vmlck, want))
		zdtm_fail("VmLck is %s before the checkpoint, expected %s", vmlck, want);
	zdtm_log("A %p, B %p, VmLck %s", (void *)a, (void *)b, vmlck);
	zdtm_log("poke %p", (void *)(a + 5 * pg + 17));

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_status_field("VmLck", now, sizeof(now));
	zdtm_check(!strcmp(now, vmlck), "VmLck %s, expected %s", now, vmlck);

	if (zdtm_check(smaps_vma(a, &v) == 0, "A is not mapped")) {
		zdtm_check(v.start == (unsigned long)a && v.end == (unsigned long)(a + NP * pg),
			   "A's VMA is %lx-%lx, expected %p-%p", v.start, v.end, (void *)a, (void *)(a + NP * pg));
		zdtm_check(has_flag(&v, "lo") && !has_flag(&v, "lf"), "A's VmFlags:%s(expected lo, no lf)", v.flags);
		zdtm_check(v.rss_kb == NP * pg / 1024 && v.locked_kb == NP * pg / 1024,
			   "A: Rss %ld kB, Locked %ld kB, expected %ld", v.rss_kb, v.locked_kb, NP * pg / 1024);
	}
	if (zdtm_check(smaps_vma(b, &v) == 0, "B is not mapped")) {
		zdtm_check(v.start == (unsigned long)b && v.end == (unsigned long)(b + NP * pg),
			   "B's VMA is %lx-%lx, expected %p-%p", v.start, v.end, (void *)b, (void *)(b + NP * pg));
		zdtm_check(has_flag(&v, "lo") && has_flag(&v, "lf"), "B's VmFlags:%s(expected lo and lf)", v.flags);
		zdtm_check(v.rss_kb == 5 * pg / 1024 && v.locked_kb == 5 * pg / 1024,
			   "B: Rss %ld kB, Locked %ld kB, expected %ld", v.rss_kb, v.locked_kb, 5 * pg / 1024);
	}
	n = zdtm_count_present(a, NP * pg);
	zdtm_check(n == NP, "%ld pages of A present, expected %d", n, NP);
	n = zdtm_count_present(b, NP * pg);
	zdtm_check(n == 5, "%ld pages of B present, expected 5 (MLOCK_ONFAULT)", n);

	zdtm_check(zdtm_verify(a, NP * pg, 41) < 0, "A differs at %zd", zdtm_verify(a, NP * pg, 41));
	for (i = 0; i < NP; i++) {
		if (b_written(i))
			zdtm_check(zdtm_verify_at(b + i * pg, pg, 42, i * pg) < 0, "B page %d differs", i);
		else
			zdtm_check(zdtm_find_nonzero(b + i * pg, pg) < 0, "B page %d is not zero", i);
	}
	zdtm_finish();
}
