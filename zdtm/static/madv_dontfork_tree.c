/*
 * madv_dontfork_tree: a MADV_DONTFORK region of a parent whose child was forked before the
 * checkpoint (so the child never had it), next to an ordinary region both inherited.
 *
 * State: the test R maps A (8 pages, MADV_DONTFORK) and B (8 pages, plain), fills both with
 * patterns, then forks child C: C has no mapping at A, and B with R's pattern, in which C
 * then changes page 0. R changes page 7 of B.
 * Check after SIGTERM: R: A is one 8-page VMA with VmFlag "dc" and its pattern, B has R's
 * version (page 7 changed, page 0 not), no "dc". C (told through a shared page): nothing is
 * mapped at A (/proc/self/maps, and a read faults), B holds C's version (page 0 changed,
 * page 7 not). A child forked by R after restore has no A either and sees R's B.
 */
#include "kid_util.h"
#include <stdio.h>
#include <string.h>

#define PG 4096
#define NP 8

static uint8_t *A, *B;

/* The VmFlags line of the smaps entry starting at addr ("" if none). */
static void vmflags(void *addr, char *out, size_t size)
{
	static char buf[1 << 20];
	char head[32], *p, *f;
	snprintf(head, sizeof(head), "\n%lx-", (unsigned long)addr);
	zdtm_read_file("/proc/self/smaps", buf + 1, sizeof(buf) - 1);
	buf[0] = '\n';
	out[0] = 0;
	p = strstr(buf, head);
	if (!p || !(f = strstr(p, "VmFlags:")))
		return;
	snprintf(out, size, "%.*s", (int)strcspn(f + 8, "\n"), f + 8);
}

static int has_flag(const char *flags, const char *f)
{
	char pad[256];
	snprintf(pad, sizeof(pad), " %s ", flags);
	char want[8];
	snprintf(want, sizeof(want), " %s ", f);
	return strstr(pad, want) != NULL;
}

/* B as seen by a task whose changed page is `changed` (0x0c for C, 0x7e for R). */
static int b_ok(int child_version)
{
	int i;
	for (i = 0; i < NP; i++) {
		int changed = child_version ? i == 0 : i == 7;
		if (changed) {
			int j;
			for (j = 0; j < PG; j++)
				if (B[i * PG + j] != (child_version ? 0x0c : 0x7e))
					return 0;
		} else if (zdtm_verify_at(B + i * PG, PG, 62, (uint64_t)i * PG) >= 0)
			return 0;
	}
	return 1;
}

static int no_a(void)
{
	struct zdtm_map m;
	return zdtm_find_map(A, &m) != 0 && zdtm_find_map(A + (NP - 1) * PG, &m) != 0 &&
	       zdtm_probe(A, ZDTM_PROBE_READ, 0, NULL) == 0;
}

int main(int argc, char **argv)
{
	volatile int *sh;
	uint8_t *res;
	char fl[256];
	struct zdtm_map m;
	pid_t c, d;
	ssize_t bad;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	/* One reservation so that A and B cannot merge with anything. */
	res = mmap(NULL, (2 * NP + 3) * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		zdtm_fail("mmap: %m");
	A = res + PG;
	B = res + (NP + 2) * PG;
	if (mprotect(A, NP * PG, PROT_READ | PROT_WRITE) || mprotect(B, NP * PG, PROT_READ | PROT_WRITE) ||
	    madvise(A, NP * PG, MADV_DONTFORK))
		zdtm_fail("mprotect/madvise: %m");
	zdtm_fill(A, NP * PG, 61);
	zdtm_fill(B, NP * PG, 62);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before = zdtm_failures();
		memset(B, 0x0c, PG);
		zdtm_check(no_a(), "C: A is mapped in the child before the checkpoint");
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		zdtm_check(no_a(), "C: A is mapped in the child after restore");
		zdtm_check(b_ok(1), "C: B is not the child's version");
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not start");
	memset(B + 7 * PG, 0x7e, PG);
	zdtm_log("A %p B %p child %d", (void *)A, (void *)B, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(A, &m) == 0 && m.start == (unsigned long)A && m.end == (unsigned long)(A + NP * PG) &&
			   !strcmp(m.perms, "rw-p"),
		   "A: VMA %lx-%lx %s, expected %p+%d rw-p", m.start, m.end, m.perms, (void *)A, NP * PG);
	vmflags(A, fl, sizeof(fl));
	zdtm_check(has_flag(fl, "dc"), "A: VmFlags '%s' without dc", fl);
	vmflags(B, fl, sizeof(fl));
	zdtm_check(fl[0] && !has_flag(fl, "dc"), "B: VmFlags '%s' (dc, or no entry)", fl);
	zdtm_check((bad = zdtm_verify(A, NP * PG, 61)) < 0, "A differs at +%zd", bad);
	zdtm_check(b_ok(0), "R: B is not R's version");
	kid_set_word(&sh[1], 1);
	kid_reap_ok(c, "C", 5000);
	d = fork();
	if (d == 0)
		_exit(no_a() && b_ok(0) ? 0 : 1);
	zdtm_check(d > 0 && kid_reap_ok(d, "a child forked after restore (A mapped, or B wrong)", 5000), "fork after restore");
	zdtm_finish();
}
