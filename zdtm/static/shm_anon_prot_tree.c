/*
 * shm_anon_prot_tree: one MAP_SHARED anonymous region with different protections in a
 * parent and its child, part of it split by mprotect in the child.
 *
 * State: the test R maps 8 shared anonymous pages S rw and fills them with a pattern, forks
 * child C. C makes pages 0-3 read-only and pages 6-7 PROT_NONE (three VMAs of one object);
 * R keeps all rw. R then changed page 1 (after the fork, so C sees it through the object).
 * Check after SIGTERM: R: one rw-s VMA of 8 pages, contents (page 1 changed). C (told
 * through a shared page): VMAs r--s 0-3, rw-s 4-5, ---s 6-7 at the same addresses; page 1
 * has R's change; a write to page 0 faults, a read of page 6 faults; C writes page 4, R
 * sees it; R writes page 3, C sees it (still one object); the inode of C's VMAs equals R's.
 */
#include "kid_util.h"
#include <string.h>
#include <sys/mman.h>

#define PG 4096
#define NP 8

static volatile int *sh;
static uint8_t *S;

static int perms_at(int page, int n, const char *perms)
{
	return zdtm_range_perms(S + page * PG, n * PG, perms) == 0;
}

int main(int argc, char **argv)
{
	struct zdtm_map rm, cm;
	pid_t c;
	ssize_t bad;
	int i;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	S = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(S, NP * PG, 2024);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before;
		if (mprotect(S, 4 * PG, PROT_READ) || mprotect(S + 6 * PG, 2 * PG, PROT_NONE))
			_exit(10);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		zdtm_check(perms_at(0, 4, "r--s") && perms_at(4, 2, "rw-s") && perms_at(6, 2, "---s"), "C: protections changed");
		zdtm_check(zdtm_find_map(S, &cm) == 0 && (unsigned long long)sh[8] == cm.inode, "C: inode %llu, R's %d", cm.inode, sh[8]);
		zdtm_check(S[PG + 3] == 0x11, "C: R's change of page 1 not seen");
		zdtm_check((bad = zdtm_verify_at(S + 4 * PG, 2 * PG, 2024, 4 * PG)) < 0, "C: pages 4-5 differ at +%zd", bad);
		zdtm_check(zdtm_probe(S, ZDTM_PROBE_WRITE, 1, NULL) == 0, "C: a write to read-only page 0 worked");
		zdtm_check(zdtm_probe(S + 6 * PG, ZDTM_PROBE_READ, 0, NULL) == 0, "C: a read of PROT_NONE page 6 worked");
		S[4 * PG + 9] = 0xc4;
		kid_set_word(&sh[2], 1);
		kid_wait_word(&sh[3], 1, 5000);
		zdtm_check(S[3 * PG + 9] == 0xd3, "C: R's write to page 3 after restore not seen");
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not start");
	memset(S + PG, 0x11, PG);
	zdtm_find_map(S, &rm);
	sh[8] = (int)rm.inode;
	zdtm_log("S %p, child %d", (void *)S, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(S, &rm) == 0 && rm.start == (unsigned long)S && rm.end == (unsigned long)(S + NP * PG) &&
			   !strcmp(rm.perms, "rw-s"),
		   "R: VMA %lx-%lx %s, expected one rw-s of 8 pages", rm.start, rm.end, rm.perms);
	sh[8] = (int)rm.inode;	/* restore makes a new object: compare with the current one */
	for (i = 0; i < NP; i++) {
		if (i == 1)
			zdtm_check(S[PG] == 0x11 && S[2 * PG - 1] == 0x11, "R: page 1 lost its change");
		else
			zdtm_check((bad = zdtm_verify_at(S + i * PG, PG, 2024, (uint64_t)i * PG)) < 0, "R: page %d differs at +%zd", i, bad);
	}
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000), "C did not write");
	zdtm_check(S[4 * PG + 9] == 0xc4, "R: C's write to page 4 not seen");
	S[3 * PG + 9] = 0xd3;
	kid_set_word(&sh[3], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
