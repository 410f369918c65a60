/*
 * madvise_dontneed: anonymous pages dropped with MADV_DONTNEED.
 *
 * State: a 32-page private anonymous region filled with pattern A; pages
 * 5-9, 20 and 31 dropped with MADV_DONTNEED; page 7 written again with
 * pattern B after being dropped.
 * Check after SIGTERM, before reading anything: the number of present
 * pages (pagemap) is what it was (restore did not populate the dropped
 * pages). Then dropped pages read zero, page 7 holds B, all others A, and
 * the region is still one rw-p mapping.
 */
#include "zdtm.h"
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 32

static int dropped(long i)
{
	return (i >= 5 && i <= 9 && i != 7) || i == 20 || i == 31;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), i, present_before, present_after;
	struct zdtm_map m;
	uint8_t *r;
	ssize_t bad;

	zdtm_init(argc, argv);
	r = mmap(NULL, PAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(r, PAGES * psz, 101);
	if (madvise(r + 5 * psz, 5 * psz, MADV_DONTNEED) || madvise(r + 20 * psz, psz, MADV_DONTNEED) ||
	    madvise(r + 31 * psz, psz, MADV_DONTNEED))
		zdtm_fail("madvise: %m");
	zdtm_fill_at(r + 7 * psz, psz, 102, 7 * psz);
	present_before = zdtm_count_present(r, PAGES * psz);
	if (present_before != PAGES - 6)
		zdtm_fail("%ld pages present before the checkpoint, expected %d", present_before, PAGES - 6);
	zdtm_log("poke %p", r + 20 * psz + 1);

	zdtm_ready();
	zdtm_wait_for_term();

	present_after = zdtm_count_present(r, PAGES * psz);
	zdtm_check(present_after == present_before, "%ld pages present, expected %ld",
		   present_after, present_before);
	zdtm_check(zdtm_find_map(r, &m) == 0 && m.start <= (unsigned long)r &&
		   m.end >= (unsigned long)r + PAGES * psz && !strcmp(m.perms, "rw-p"),
		   "region is not one rw-p mapping any more");
	for (i = 0; i < PAGES; i++) {
		uint8_t *pg = r + i * psz;
		if (dropped(i)) {
			bad = zdtm_find_nonzero(pg, psz);
			zdtm_check(bad < 0, "dropped page %ld has data at %zd", i, bad);
		} else {
			bad = zdtm_verify_at(pg, psz, i == 7 ? 102 : 101, i * psz);
			zdtm_check(bad < 0, "page %ld differs at %zd", i, bad);
		}
	}
	zdtm_finish();
}
