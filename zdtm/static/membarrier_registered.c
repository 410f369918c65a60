/*
 * membarrier_registered: a process registered for private expedited barriers (plain and
 * SYNC_CORE) and as a target of global expedited ones.
 * Check after SIGTERM: MEMBARRIER_CMD_GET_REGISTRATIONS reports the same registrations, and
 * the private expedited barriers succeed (without registration they fail with EPERM), while
 * the RSEQ one that was never registered still fails with EPERM.
 */
#include "zdtm.h"
#include <errno.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MEMBARRIER_CMD_GET_REGISTRATIONS
#define MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)
#endif

static long mb(int cmd) { return syscall(SYS_membarrier, cmd, 0, 0); }

int main(int argc, char **argv)
{
	long want, got;

	zdtm_init(argc, argv);
	if (mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) || mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) ||
	    mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED))
		zdtm_fail("membarrier register: %m");
	want = mb(MEMBARRIER_CMD_GET_REGISTRATIONS);
	if (want < 0)
		zdtm_skip("MEMBARRIER_CMD_GET_REGISTRATIONS: %m (kernel older than 6.3)");

	zdtm_ready();
	zdtm_wait_for_term();

	got = mb(MEMBARRIER_CMD_GET_REGISTRATIONS);
	zdtm_check(got == want, "registrations %#lx, expected %#lx", got, want);
	zdtm_check(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0, "private expedited barrier: %m");
	zdtm_check(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) == 0, "sync-core barrier: %m");
	errno = 0;
	zdtm_check(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) < 0 && errno == EPERM, "rseq barrier without registration: %m");
	zdtm_finish();
}
