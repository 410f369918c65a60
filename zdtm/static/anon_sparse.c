/*
 * anon_sparse: a sparsely populated private anonymous region.
 *
 * State: a 64 MiB MAP_PRIVATE|MAP_ANONYMOUS region, MADV_NOHUGEPAGE (so
 * pages come one at a time), where only every 7th page was written with a
 * page-specific pattern.
 * Check after SIGTERM, before reading anything: the region still has the
 * "nh" VmFlag and exactly as many pages present (pagemap) as before, i.e.
 * restoring did not populate the holes. Then every 7th page holds its
 * pattern and all other pages read zero.
 */
#include "zdtm.h"
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION (64UL << 20)
#define STRIDE 7

/* Does the smaps entry of the mapping at addr list VmFlag "nh"? */
static int has_nohugepage(void *addr)
{
	static char buf[1 << 20];
	char key[64], *p, *flags;

	zdtm_read_file("/proc/self/smaps", buf, sizeof(buf));
	snprintf(key, sizeof(key), "%lx-", (unsigned long)addr);
	for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, key, strlen(key)))
			break;
	if (!p || !(flags = strstr(p, "VmFlags:")))
		return 0;
	p = strchr(flags, '\n');
	if (p)
		*p = '\0';
	return strstr(flags, " nh") != NULL;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), pages = REGION / psz, i;
	long present_before, present_after, touched = 0;
	uint8_t *r;

	zdtm_init(argc, argv);
	r = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		zdtm_fail("mmap: %m");
	if (madvise(r, REGION, MADV_NOHUGEPAGE))
		zdtm_fail("madvise(MADV_NOHUGEPAGE): %m");
	for (i = 0; i < pages; i += STRIDE) {
		zdtm_fill_at(r + i * psz, psz, 7, i * psz);
		touched++;
	}
	present_before = zdtm_count_present(r, REGION);
	if (present_before != touched)
		zdtm_fail("before checkpoint: %ld pages present, %ld touched", present_before, touched);
	if (!has_nohugepage(r))
		zdtm_fail("before checkpoint: no nh VmFlag");
	zdtm_log("region at %p, %ld of %ld pages present", r, present_before, pages);
	zdtm_log("poke %p", r + 14 * psz + 100);	/* a written page */
	zdtm_log("poke %p", r + 15 * psz + 100);	/* a hole */

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_range_perms(r, REGION, "rw-p") == 0, "region is no longer rw-p");
	zdtm_check(has_nohugepage(r), "VmFlag nh (MADV_NOHUGEPAGE) lost");
	present_after = zdtm_count_present(r, REGION);
	zdtm_check(present_after == present_before, "%ld pages present, expected %ld",
		   present_after, present_before);
	for (i = 0; i < pages; i++) {
		ssize_t bad;
		if (i % STRIDE == 0) {
			bad = zdtm_verify_at(r + i * psz, psz, 7, i * psz);
			zdtm_check(bad < 0, "page %ld: pattern differs at byte %zd", i, bad);
		} else {
			bad = zdtm_find_nonzero(r + i * psz, psz);
			zdtm_check(bad < 0, "page %ld: hole reads nonzero at byte %zd", i, bad);
		}
	}
	zdtm_finish();
}
