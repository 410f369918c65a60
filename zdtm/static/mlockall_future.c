/*
 * mlockall_future: a process under mlockall(MCL_CURRENT|MCL_FUTURE).
 *
 * State: region C (8 pages, pattern) mapped before mlockall, region F (8 pages, pattern)
 * mapped after it; the stack grown in advance so that the checks below do not grow it;
 * the start of every VMA smaps shows with VmFlags "lo" and VmLck recorded.
 * Check after SIGTERM: VmLck equals the value before and the sum of the sizes of the VMAs
 * with "lo"; every VMA that was locked is locked still (by start address); C and F are
 * locked, fully present and intact. MCL_FUTURE is still in force: a NEW 8-page anonymous
 * mapping made after the restore shows "lo", has all 8 pages present without being
 * touched, and raises VmLck by exactly its size; so do 4 pages the brk heap grows by.
 */
#include "zdtm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NP 8
#define MAXV 512

struct vma_info {
	unsigned long start, end;
	char flags[256];
};

static char smaps_buf[1 << 20];
static struct vma_info vmas[MAXV];
static unsigned long locked_before[MAXV];
static int nlocked_before;

static int has_flag(const struct vma_info *v, const char *f)
{
	char pat[8];
	snprintf(pat, sizeof(pat), " %s ", f);
	return strstr(v->flags, pat) != NULL;
}

/* Every VMA of /proc/self/smaps with its VmFlags, into vmas[]; returns the count. */
static int read_vmas(void)
{
	char *line, *save = NULL;
	int n = -1;

	zdtm_read_file("/proc/self/smaps", smaps_buf, sizeof(smaps_buf));
	for (line = strtok_r(smaps_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned long s, e;
		char perms[8];

		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && strchr(line, '-') < strchr(line, ' ')) {
			if (++n >= MAXV)
				zdtm_fail("too many VMAs");
			vmas[n].start = s;
			vmas[n].end = e;
			vmas[n].flags[0] = 0;
		} else if (n >= 0 && !strncmp(line, "VmFlags:", 8)) {
			snprintf(vmas[n].flags, sizeof(vmas[n].flags), " %s ", line + 8);
		}
	}
	return n + 1;
}

static struct vma_info *vma_at(int n, const void *addr)
{
	int i;
	for (i = 0; i < n; i++)
		if ((unsigned long)addr >= vmas[i].start && (unsigned long)addr < vmas[i].end)
			return &vmas[i];
	return NULL;
}

static long vmlck_kb(void)
{
	char s[64];
	zdtm_status_field("VmLck", s, sizeof(s));
	return strtol(s, NULL, 10);
}

static long locked_sum_kb(int n)
{
	long kb = 0;
	int i;
	for (i = 0; i < n; i++)
		if (has_flag(&vmas[i], "lo"))
			kb += (vmas[i].end - vmas[i].start) / 1024;
	return kb;
}

static void __attribute__((noinline)) grow_stack(void)
{
	volatile char big[256 * 1024];
	memset((char *)big, 1, sizeof(big));
}

/* The region at p: locked, all n pages present. */
static void check_locked(const char *what, void *p, long len, int n)
{
	struct vma_info *v = vma_at(n, p);
	long np = zdtm_count_present(p, len);

	if (zdtm_check(v != NULL, "%s %p is not mapped", what, p))
		zdtm_check(has_flag(v, "lo"), "%s is not locked, VmFlags:%s", what, v->flags);
	zdtm_check(np == len / sysconf(_SC_PAGESIZE), "%s: %ld pages present of %ld", what, np,
		   len / sysconf(_SC_PAGESIZE));
}

int main(int argc, char **argv)
{
	long pg = sysconf(_SC_PAGESIZE), lck, lck_now;
	uint8_t *c, *f, *nw, *old_brk, *want_brk;
	int n, i;

	zdtm_init(argc, argv);
	grow_stack();
	c = mmap(NULL, NP * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(c, NP * pg, 51);
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		zdtm_fail("mlockall: %m");
	f = mmap(NULL, NP * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(f, NP * pg, 52);
	n = read_vmas();
	for (i = 0; i < n; i++)
		if (has_flag(&vmas[i], "lo"))
			locked_before[nlocked_before++] = vmas[i].start;
	lck = vmlck_kb();
	if (lck != locked_sum_kb(n) || !has_flag(vma_at(n, f), "lo") || !has_flag(vma_at(n, c), "lo"))
		zdtm_fail("VmLck %ld kB but %ld kB in locked VMAs", lck, locked_sum_kb(n));
	zdtm_log("C %p, F %p, VmLck %ld kB in %d locked VMAs", (void *)c, (void *)f, lck, nlocked_before);

	zdtm_ready();
	zdtm_wait_for_term();

	lck_now = vmlck_kb();
	n = read_vmas();
	zdtm_check(lck_now == lck, "VmLck %ld kB, expected %ld", lck_now, lck);
	zdtm_check(lck_now == locked_sum_kb(n), "VmLck %ld kB, but the VMAs with lo add up to %ld", lck_now,
		   locked_sum_kb(n));
	for (i = 0; i < nlocked_before; i++) {
		struct vma_info *v = vma_at(n, (void *)locked_before[i]);
		zdtm_check(v && has_flag(v, "lo"), "the VMA at %lx is no longer locked", locked_before[i]);
	}
	check_locked("C", c, NP * pg, n);
	check_locked("F", f, NP * pg, n);
	zdtm_check(zdtm_verify(c, NP * pg, 51) < 0, "C differs");
	zdtm_check(zdtm_verify(f, NP * pg, 52) < 0, "F differs");

	/* MCL_FUTURE: a new mapping is locked and populated. */
	nw = mmap(NULL, NP * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (nw == MAP_FAILED)
		zdtm_fail("mmap: %m");
	n = read_vmas();
	check_locked("a new mapping", nw, NP * pg, n);
	lck_now = vmlck_kb();
	zdtm_check(lck_now == lck + NP * pg / 1024, "VmLck %ld kB after a new %ld kB mapping, expected %ld",
		   lck_now, NP * pg / 1024, lck + NP * pg / 1024);
	zdtm_check(zdtm_find_nonzero(nw, NP * pg) < 0, "the new mapping is not zero");
	/* And so is memory the brk heap grows by. */
	old_brk = sbrk(0);
	want_brk = (uint8_t *)(((unsigned long)old_brk + pg - 1) & ~(pg - 1)) + 4 * pg;
	if (sbrk(want_brk - old_brk) == (void *)-1)
		zdtm_fail("sbrk: %m");
	n = read_vmas();
	check_locked("the grown heap", want_brk - 4 * pg, 4 * pg, n);
	lck_now = vmlck_kb();
	zdtm_check(lck_now == lck + (NP + 4) * pg / 1024, "VmLck %ld kB after growing the heap by 4 pages, expected %ld",
		   lck_now, lck + (NP + 4) * pg / 1024);
	zdtm_finish();
}
