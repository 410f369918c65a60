/*
 * sigaltstack_in_handler: the checkpoints happen while the test runs inside a signal
 * handler on its alternate signal stack.
 *
 * State: a 64 KiB mmap'ed alternate stack; SIGUSR1 has an SA_ONSTACK|SA_SIGINFO handler
 * whose sa_mask holds SIGUSR2. main() keeps a pattern in a local array, raises SIGUSR1;
 * the handler keeps a pattern in its own local array (on the alternate stack), calls
 * zdtm_ready() and waits for SIGTERM there.
 * Check after SIGTERM, in the handler: sigaltstack() reports the same base and size with
 * SS_ONSTACK, changing it fails with EPERM; the handler's locals lie in the region and keep
 * their pattern; the blocked mask is SIGUSR1|SIGUSR2 (handler mask), si_signo/si_code
 * recorded at entry are SIGUSR1/SI_TKILL. After the handler returns: main's pattern intact,
 * the mask is empty again, sigaltstack flags 0; SIGUSR1 raised again runs on the
 * alternate stack once more.
 */
#include "zdtm.h"
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define SSZ (64 * 1024)

static uint8_t *alt;
static volatile int phase, entered, in_region, code_ok;

static int on_alt(const void *p)
{
	return (const uint8_t *)p >= alt && (const uint8_t *)p < alt + SSZ;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	uint8_t local[3000];
	stack_t cur, nw;
	sigset_t m;
	(void)uc;
	entered++;
	in_region = on_alt(local);
	code_ok = sig == SIGUSR1 && si->si_signo == SIGUSR1 && si->si_code == SI_TKILL;
	if (phase != 0)
		return;
	zdtm_fill(local, sizeof(local), 808);
	zdtm_log("handler local at %p, alternate stack %p+%d", (void *)local, (void *)alt, SSZ);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&cur, 0, sizeof(cur));
	zdtm_check(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt && cur.ss_size == SSZ && cur.ss_flags == SS_ONSTACK,
		   "in the handler: sigaltstack %p+%zu flags %#x, expected %p+%d SS_ONSTACK", cur.ss_sp, cur.ss_size,
		   cur.ss_flags, (void *)alt, SSZ);
	nw = (stack_t){ .ss_sp = alt, .ss_size = SSZ, .ss_flags = 0 };
	errno = 0;
	zdtm_check(sigaltstack(&nw, NULL) < 0 && errno == EPERM, "changing the stack in use was not refused: %m");
	zdtm_check(on_alt(local) && in_region, "the handler's locals are not on the alternate stack");
	zdtm_check(zdtm_verify(local, sizeof(local), 808) < 0, "the handler's frame on the alternate stack changed");
	sigprocmask(SIG_SETMASK, NULL, &m);
	zdtm_check(sigismember(&m, SIGUSR1) == 1 && sigismember(&m, SIGUSR2) == 1 && sigismember(&m, SIGINT) == 0 &&
			   sigismember(&m, SIGTERM) == 0,
		   "the handler's mask: USR1 %d USR2 %d INT %d TERM %d", sigismember(&m, SIGUSR1), sigismember(&m, SIGUSR2),
		   sigismember(&m, SIGINT), sigismember(&m, SIGTERM));
	zdtm_check(code_ok, "siginfo at entry was not SIGUSR1/SI_TKILL");
	phase = 1;
}

int main(int argc, char **argv)
{
	uint8_t mine[2000];
	struct sigaction sa;
	stack_t ss, cur;
	sigset_t m;
	int i, n;

	zdtm_init(argc, argv);
	alt = mmap(NULL, SSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt == MAP_FAILED)
		zdtm_fail("mmap: %m");
	ss = (stack_t){ .ss_sp = alt, .ss_size = SSZ, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL))
		zdtm_fail("sigaltstack: %m");
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	if (sigaction(SIGUSR1, &sa, NULL))
		zdtm_fail("sigaction: %m");
	zdtm_fill(mine, sizeof(mine), 707);
	raise(SIGUSR1);

	zdtm_check(phase == 1 && entered == 1, "the handler did not finish its checks (phase %d, entered %d)", phase, entered);
	zdtm_check(zdtm_verify(mine, sizeof(mine), 707) < 0, "main's frame changed");
	sigprocmask(SIG_SETMASK, NULL, &m);
	for (i = 1, n = 0; i < NSIG; i++)
		n += sigismember(&m, i) == 1;
	zdtm_check(n == 0, "%d signals blocked after the handler returned", n);
	memset(&cur, 0, sizeof(cur));
	zdtm_check(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt && cur.ss_size == SSZ && cur.ss_flags == 0,
		   "after the handler: sigaltstack %p+%zu flags %#x", cur.ss_sp, cur.ss_size, cur.ss_flags);
	in_region = 0;
	raise(SIGUSR1);
	zdtm_check(entered == 2 && in_region && code_ok, "a second SIGUSR1: entered %d, on the alternate stack %d", entered,
		   in_region);
	zdtm_finish();
}
