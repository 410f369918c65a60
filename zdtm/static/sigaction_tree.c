/*
 * sigaction_tree: different signal dispositions in a parent and its child.
 *
 * State: the test R: SIGUSR1 handled (SA_RESTART, sa_mask {SIGQUIT}), SIGUSR2 ignored, SIGHUP
 * default. Its child C: SIGUSR1 ignored, SIGUSR2 handled with SA_RESETHAND|SA_NODEFER and
 * sa_mask {SIGINT}, SIGHUP handled with SA_SIGINFO. (C inherited R's handlers at fork and
 * changed them after.)
 * Check after SIGTERM: in each process sigaction() reads back its own handler, flags (the
 * kernel's SA_RESTORER aside) and mask; behaviour: R raises SIGUSR2 (ignored, nothing ran)
 * and SIGUSR1 (its handler ran once); C (told through a shared page) raises SIGUSR1
 * (ignored), SIGHUP (handler with si_signo SIGHUP, SI_TKILL) and SIGUSR2 twice: the
 * handler ran the first time, then the handler is SIG_DFL (SA_RESETHAND; flags and mask
 * stay), so C blocks
 * SIGUSR2 before the second raise and finds it pending.
 */
#include "kid_util.h"
#include <string.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

static volatile sig_atomic_t r_usr1, c_usr2, c_hup, c_hup_ok;
static volatile int *sh;

static void r_on_usr1(int s) { (void)s; r_usr1++; }
static void c_on_usr2(int s) { (void)s; c_usr2++; }
static void c_on_hup(int s, siginfo_t *si, void *uc) { (void)uc; c_hup++; c_hup_ok = s == SIGHUP && si->si_signo == SIGHUP && si->si_code == SI_TKILL; }

static void set(int sig, void (*h)(int), void (*sa3)(int, siginfo_t *, void *), int flags, int masked)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	if (sa3)
		sa.sa_sigaction = sa3;
	else
		sa.sa_handler = h;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	if (sigaction(sig, &sa, NULL))
		zdtm_fail("sigaction %d: %m", sig);
}

static void expect(const char *who, int sig, void *h, int flags, int masked)
{
	struct sigaction sa;
	int i, extra = 0;
	memset(&sa, 0, sizeof(sa));
	sigaction(sig, NULL, &sa);
	for (i = 1; i < 32; i++)
		if (i != masked && sigismember(&sa.sa_mask, i) == 1)
			extra++;
	zdtm_check((void *)sa.sa_handler == h && (sa.sa_flags & ~SA_RESTORER) == flags &&
			   (!masked || sigismember(&sa.sa_mask, masked) == 1) && !extra,
		   "%s: signal %d: handler %p flags %#x (mask has %d, %d extra); expected %p flags %#x mask %d", who, sig,
		   (void *)sa.sa_handler, sa.sa_flags & ~SA_RESTORER, masked ? sigismember(&sa.sa_mask, masked) : 0, extra, h,
		   flags, masked);
}

int main(int argc, char **argv)
{
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	set(SIGUSR1, r_on_usr1, NULL, SA_RESTART, SIGQUIT);
	set(SIGUSR2, SIG_IGN, NULL, 0, 0);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		sigset_t b, p;
		int before;
		set(SIGUSR1, SIG_IGN, NULL, 0, 0);
		set(SIGUSR2, c_on_usr2, NULL, SA_RESETHAND | SA_NODEFER, SIGINT);
		set(SIGHUP, NULL, c_on_hup, SA_SIGINFO, 0);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		expect("C", SIGUSR1, SIG_IGN, 0, 0);
		expect("C", SIGUSR2, (void *)c_on_usr2, SA_RESETHAND | SA_NODEFER, SIGINT);
		expect("C", SIGHUP, (void *)c_on_hup, SA_SIGINFO, 0);
		raise(SIGUSR1);
		raise(SIGHUP);
		zdtm_check(c_hup == 1 && c_hup_ok, "C: SIGHUP handler ran %d times (siginfo ok %d)", (int)c_hup, (int)c_hup_ok);
		raise(SIGUSR2);
		zdtm_check(c_usr2 == 1, "C: SIGUSR2 handler ran %d times", (int)c_usr2);
		expect("C after SA_RESETHAND", SIGUSR2, SIG_DFL, SA_RESETHAND | SA_NODEFER, SIGINT);	/* only the handler is reset */
		sigemptyset(&b);
		sigaddset(&b, SIGUSR2);
		sigprocmask(SIG_BLOCK, &b, NULL);
		raise(SIGUSR2);
		sigpending(&p);
		zdtm_check(sigismember(&p, SIGUSR2) == 1 && c_usr2 == 1, "C: second SIGUSR2 not pending or handled again");
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not start");

	zdtm_ready();
	zdtm_wait_for_term();

	expect("R", SIGUSR1, (void *)r_on_usr1, SA_RESTART, SIGQUIT);
	expect("R", SIGUSR2, SIG_IGN, 0, 0);
	expect("R", SIGHUP, SIG_DFL, 0, 0);
	raise(SIGUSR2);
	raise(SIGUSR1);
	zdtm_check(r_usr1 == 1, "R: SIGUSR1 handler ran %d times", (int)r_usr1);
	kid_set_word(&sh[1], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
