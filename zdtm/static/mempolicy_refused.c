/*
 * mempolicy_refused: a thread with a NUMA memory policy of its own (set_mempolicy MPOL_BIND to
 * node 0) and a mapping with one (mbind MPOL_PREFERRED). amber does not carry NUMA policies
 * yet: the dump must fail naming them and leave the test running (crfail).
 * Check after SIGTERM: get_mempolicy of the thread and of the mapping answer as set.
 */
#include "zdtm.h"
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_F_ADDR (1 << 1)

int main(int argc, char **argv)
{
	unsigned long node0 = 1;
	int mode = -1;
	void *p;

	zdtm_init(argc, argv);
	if (syscall(SYS_set_mempolicy, MPOL_BIND, &node0, 8 * sizeof(node0)))
		zdtm_fail("set_mempolicy: %m");
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || syscall(SYS_mbind, p, 8192, MPOL_PREFERRED, &node0, 8 * sizeof(node0), 0))
		zdtm_fail("mbind: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0) == 0 && mode == MPOL_BIND, "thread policy %d", mode);
	zdtm_check(syscall(SYS_get_mempolicy, &mode, NULL, 0, p, MPOL_F_ADDR) == 0 && mode == MPOL_PREFERRED, "mapping policy %d", mode);
	zdtm_finish();
}
