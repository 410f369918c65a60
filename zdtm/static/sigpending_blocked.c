/*
 * sigpending_blocked: standard signals pending while blocked, one on the
 * process (shared) queue and one on the thread's own queue.
 *
 * State: SIGUSR1 and SIGUSR2 blocked; SIGUSR1 sent with kill() (shared
 * pending), SIGUSR2 with tgkill() (thread pending); neither delivered.
 * Check after SIGTERM: sigpending() holds exactly SIGUSR1 and SIGUSR2;
 * /proc/self/status ShdPnd is exactly SIGUSR1 and SigPnd exactly SIGUSR2;
 * no handler has run yet. Unblocking runs each handler exactly once, with
 * si_code SI_USER / SI_TKILL and si_pid/si_uid of this process; then
 * nothing is pending.
 */
#include "zdtm.h"
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

struct seen { int count, code; pid_t pid; uid_t uid; };
static volatile struct seen seen[NSIG];

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	seen[sig].count++;
	seen[sig].code = si->si_code;
	seen[sig].pid = si->si_pid;
	seen[sig].uid = si->si_uid;
}

static unsigned long long status_mask(const char *key)
{
	char v[64];
	zdtm_status_field(key, v, sizeof(v));
	return strtoull(v, NULL, 16);
}

int main(int argc, char **argv)
{
	unsigned long long u1 = 1ULL << (SIGUSR1 - 1), u2 = 1ULL << (SIGUSR2 - 1);
	struct sigaction sa = { 0 };
	sigset_t set, pend;
	int sig, n = 0;

	zdtm_init(argc, argv);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
	if (status_mask("ShdPnd") != u1 || status_mask("SigPnd") != u2)
		zdtm_fail("signals are not pending as intended before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	sigpending(&pend);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&pend, sig))
			n++;
	zdtm_check(n == 2 && sigismember(&pend, SIGUSR1) && sigismember(&pend, SIGUSR2),
		   "sigpending() holds %d signals, expected SIGUSR1 and SIGUSR2", n);
	zdtm_check(status_mask("ShdPnd") == u1, "ShdPnd %#llx, expected %#llx (SIGUSR1)",
		   status_mask("ShdPnd"), u1);
	zdtm_check(status_mask("SigPnd") == u2, "SigPnd %#llx, expected %#llx (SIGUSR2)",
		   status_mask("SigPnd"), u2);
	zdtm_check(seen[SIGUSR1].count == 0 && seen[SIGUSR2].count == 0, "a handler ran while blocked");

	sigprocmask(SIG_UNBLOCK, &set, NULL);
	for (sig = SIGUSR1; sig <= SIGUSR2; sig += SIGUSR2 - SIGUSR1) {
		int code = sig == SIGUSR1 ? SI_USER : SI_TKILL;
		zdtm_check(seen[sig].count == 1, "signal %d delivered %d times", sig, seen[sig].count);
		zdtm_check(seen[sig].code == code, "signal %d si_code %d, expected %d", sig,
			   seen[sig].code, code);
		zdtm_check(seen[sig].pid == getpid() && seen[sig].uid == getuid(),
			   "signal %d from pid %d uid %d", sig, seen[sig].pid, seen[sig].uid);
	}
	sigpending(&pend);
	zdtm_check(!sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "still pending");
	zdtm_finish();
}
