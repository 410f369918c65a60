/*
 * sigmask_sigsuspend: the real signal mask while the task sleeps in
 * sigsuspend() with a temporary one.
 *
 * State: blocked = {SIGTERM, SIGUSR1, SIGRTMIN+2, 45}; the test sleeps in
 * sigsuspend({SIGUSR2, SIGHUP}), i.e. while frozen the kernel holds the
 * temporary mask in "blocked" and the real one aside (saved_sigmask),
 * restored when sigsuspend returns. A checkpoint must keep both apart.
 * Check after SIGTERM: right after sigsuspend returned, the raw mask
 * (rt_sigprocmask) and SigBlk are the real mask again, not the temporary
 * one; sigsuspend returned only with EINTR.
 */
#include "zdtm.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static uint64_t bit(int sig) { return 1ULL << (sig - 1); }

int main(int argc, char **argv)
{
	uint64_t real = bit(SIGTERM) | bit(SIGUSR1) | bit(SIGRTMIN + 2) | bit(45);
	uint64_t temp = bit(SIGUSR2) | bit(SIGHUP), got = 0;
	int wakeups = 0, bad_ret = 0;
	char blk[64];

	zdtm_init(argc, argv);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &real, NULL, 8))
		zdtm_fail("rt_sigprocmask: %m");

	zdtm_ready();
	/* SIGTERM is blocked outside sigsuspend, so it cannot slip in between. */
	while (!zdtm_term_flag) {
		long r = syscall(SYS_rt_sigsuspend, &temp, 8);
		if (r != -1 || errno != EINTR)
			bad_ret++;
		wakeups++;
	}
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &got, 8);

	zdtm_check(got == real, "mask after sigsuspend %#llx, expected %#llx%s",
		   (unsigned long long)got, (unsigned long long)real,
		   got == temp ? " (the temporary mask)" : "");
	zdtm_status_field("SigBlk", blk, sizeof(blk));
	zdtm_check(strtoull(blk, NULL, 16) == real, "SigBlk %s, expected %016llx", blk,
		   (unsigned long long)real);
	zdtm_check(bad_ret == 0, "sigsuspend returned other than -1/EINTR %d times", bad_ret);
	zdtm_log("%d wakeup(s)", wakeups);
	zdtm_finish();
}
