/*
 * anon_large: a large private anonymous region.
 *
 * State: 256 MiB of MAP_PRIVATE|MAP_ANONYMOUS memory, every byte written
 * with a seeded pattern; its FNV-64 checksum is recorded before the
 * checkpoint.
 * Check after SIGTERM: the mapping is still rw-p at the same address, the
 * checksum of its contents equals the recorded one, and the contents match
 * the pattern recomputed from the seed (which also names the first bad
 * offset).
 */
#include "zdtm.h"
#include <sys/mman.h>

#define SIZE (256UL << 20)
#define SEED 0x1a2b3c4dULL

int main(int argc, char **argv)
{
	uint64_t sum_before, sum_after;
	uint8_t *r;
	ssize_t bad;

	zdtm_init(argc, argv);
	r = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(r, SIZE, SEED);
	sum_before = zdtm_fnv64(r, SIZE);
	zdtm_log("256 MiB at %p, fnv64 %016llx", r, (unsigned long long)sum_before);
	zdtm_log("poke %p", r + SIZE - 4096 * 3 + 5);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_range_perms(r, SIZE, "rw-p") == 0, "region is no longer rw-p");
	sum_after = zdtm_fnv64(r, SIZE);
	zdtm_check(sum_after == sum_before, "checksum %016llx, expected %016llx",
		   (unsigned long long)sum_after, (unsigned long long)sum_before);
	bad = zdtm_verify(r, SIZE, SEED);
	zdtm_check(bad < 0, "pattern differs at offset %zd (page %zd)", bad, bad / 4096);
	zdtm_finish();
}
