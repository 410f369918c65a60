/*
 * mempolicy_mapping_large: 96 MiB of touched anonymous memory in a few mappings, one of which
 * has a NUMA policy of its own (mbind MPOL_PREFERRED); the thread's policy is the default. With
 * this much memory amber asks the task for its mappings' policies (get_mempolicy MPOL_F_ADDR)
 * instead of reading numa_maps: the dump must still refuse, naming the mapping, and leave the
 * test running (crfail).
 * Check after SIGTERM: the mapping's policy is still MPOL_PREFERRED and the memory still holds
 * its pattern.
 */
#include "zdtm.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_PREFERRED 1
#define MPOL_F_ADDR (1 << 1)
#define BIG (96UL << 20)

int main(int argc, char **argv)
{
	unsigned long node0 = 1;
	int mode = -1;
	uint64_t *big;
	void *p;
	size_t i, bad = 0;

	zdtm_init(argc, argv);
	big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED)
		zdtm_fail("mmap: %m");
	for (i = 0; i < BIG / 8; i++)
		big[i] = i * 0x9e3779b97f4a7c15ULL;
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || syscall(SYS_mbind, p, 8192, MPOL_PREFERRED, &node0, 8 * sizeof(node0), 0))
		zdtm_fail("mbind: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(syscall(SYS_get_mempolicy, &mode, NULL, 0, p, MPOL_F_ADDR) == 0 && mode == MPOL_PREFERRED, "mapping policy %d", mode);
	for (i = 0; i < BIG / 8; i++)
		bad += big[i] != i * 0x9e3779b97f4a7c15ULL;
	zdtm_check(bad == 0, "%zu words of the large mapping changed", bad);
	zdtm_finish();
}
