/*
 * sigmask_blocked: the blocked signal mask, standard and realtime.
 *
 * State: the raw kernel mask (rt_sigprocmask) set to SIGHUP, SIGINT,
 * SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGCHLD, signal 33, 34 (the first
 * kernel realtime signal), 40, 50 and 64. The test waits in short
 * nanosleeps (zdtm_wait_for_term_poll), so the mask is never swapped for a
 * temporary one.
 * Check after SIGTERM: the raw mask and /proc/self/status SigBlk equal the
 * set installed; a SIGUSR2 sent to itself now stays pending (its handler
 * does not run) and shows in sigpending().
 */
#include "zdtm.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int usr2_ran;

static void on_usr2(int sig)
{
	(void)sig;
	usr2_ran++;
}

static uint64_t bit(int sig) { return 1ULL << (sig - 1); }

static uint64_t raw_mask(void)
{
	uint64_t m = 0;
	if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8))
		zdtm_fail("rt_sigprocmask: %m");
	return m;
}

int main(int argc, char **argv)
{
	uint64_t want = bit(SIGHUP) | bit(SIGINT) | bit(SIGQUIT) | bit(SIGUSR1) | bit(SIGUSR2) |
			bit(SIGALRM) | bit(SIGCHLD) | bit(33) | bit(34) | bit(40) | bit(50) | bit(64);
	uint64_t got, before;
	char blk[64];
	sigset_t pend;

	zdtm_init(argc, argv);
	signal(SIGUSR2, on_usr2);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &want, NULL, 8))
		zdtm_fail("rt_sigprocmask: %m");
	before = raw_mask();
	if (before != want)
		zdtm_fail("mask %#llx after setting %#llx", (unsigned long long)before,
			  (unsigned long long)want);

	zdtm_ready();
	zdtm_wait_for_term_poll();

	got = raw_mask();
	zdtm_check(got == want, "blocked %#llx, expected %#llx", (unsigned long long)got,
		   (unsigned long long)want);
	zdtm_status_field("SigBlk", blk, sizeof(blk));
	zdtm_check(strtoull(blk, NULL, 16) == want, "SigBlk %s, expected %016llx", blk,
		   (unsigned long long)want);
	kill(getpid(), SIGUSR2);
	zdtm_check(usr2_ran == 0, "blocked SIGUSR2 was delivered");
	sigpending(&pend);
	zdtm_check(sigismember(&pend, SIGUSR2), "SIGUSR2 is not pending");
	zdtm_finish();
}
