/*
 * sigqueue_rt_pending: queued realtime signals with payloads.
 *
 * State: SIGRTMIN..SIGRTMIN+3 blocked; queued with sigqueue() on the
 * process queue: RTMIN+2 (100), RTMIN (200), RTMIN+2 (101), RTMIN+1
 * (300), RTMIN (201); and RTMIN+3 (400) on the thread's own queue with
 * rt_tgsigqueueinfo(). Realtime signals queue: six entries, two of them
 * twice the same signal.
 * Check after SIGTERM: SigPnd is exactly RTMIN+3, ShdPnd exactly
 * RTMIN..RTMIN+2, nothing delivered yet. Unblocking delivers (handler
 * masks all four, so one at a time) in the kernel's order: the thread
 * queue first, then lowest signal first, FIFO within a signal:
 * RTMIN+3/400, RTMIN/200, RTMIN/201, RTMIN+1/300, RTMIN+2/100,
 * RTMIN+2/101, each with si_code SI_QUEUE and this pid; nothing more.
 */
#include "zdtm.h"
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAXREC 16

static struct { int sig, val, code; pid_t pid; } rec[MAXREC];
static volatile int nrec;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (nrec < MAXREC) {
		rec[nrec].sig = sig;
		rec[nrec].val = si->si_value.sival_int;
		rec[nrec].code = si->si_code;
		rec[nrec].pid = si->si_pid;
	}
	nrec++;
}

static unsigned long long status_mask(const char *key)
{
	char v[64];
	zdtm_status_field(key, v, sizeof(v));
	return strtoull(v, NULL, 16);
}

static unsigned long long bit(int sig) { return 1ULL << (sig - 1); }

int main(int argc, char **argv)
{
	int R = SIGRTMIN, i;
	const int want_sig[6] = { R + 3, R, R, R + 1, R + 2, R + 2 };
	const int want_val[6] = { 400, 200, 201, 300, 100, 101 };
	const int q_sig[5] = { R + 2, R, R + 2, R + 1, R };
	const int q_val[5] = { 100, 200, 101, 300, 201 };
	unsigned long long shd = bit(R) | bit(R + 1) | bit(R + 2), prv = bit(R + 3);
	struct sigaction sa = { 0 };
	siginfo_t si;
	sigset_t set;

	zdtm_init(argc, argv);
	sigemptyset(&set);
	for (i = 0; i < 4; i++)
		sigaddset(&set, R + i);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sa.sa_mask = set;
	for (i = 0; i < 4; i++)
		sigaction(R + i, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < 5; i++)
		if (sigqueue(getpid(), q_sig[i], (union sigval){ .sival_int = q_val[i] }))
			zdtm_fail("sigqueue: %m");
	memset(&si, 0, sizeof(si));
	si.si_signo = R + 3;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = 400;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), R + 3, &si))
		zdtm_fail("rt_tgsigqueueinfo: %m");
	if (status_mask("ShdPnd") != shd || status_mask("SigPnd") != prv)
		zdtm_fail("signals are not pending as intended before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(status_mask("ShdPnd") == shd, "ShdPnd %#llx, expected %#llx",
		   status_mask("ShdPnd"), shd);
	zdtm_check(status_mask("SigPnd") == prv, "SigPnd %#llx, expected %#llx",
		   status_mask("SigPnd"), prv);
	zdtm_check(nrec == 0, "%d signals delivered while blocked", nrec);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	zdtm_check(nrec == 6, "%d signals delivered, expected 6", nrec);
	for (i = 0; i < 6 && i < nrec; i++) {
		zdtm_check(rec[i].sig == want_sig[i] && rec[i].val == want_val[i],
			   "delivery %d: RTMIN+%d value %d, expected RTMIN+%d value %d", i,
			   rec[i].sig - R, rec[i].val, want_sig[i] - R, want_val[i]);
		zdtm_check(rec[i].code == SI_QUEUE && rec[i].pid == getpid(),
			   "delivery %d: si_code %d pid %d", i, rec[i].code, rec[i].pid);
	}
	zdtm_finish();
}
