/*
 * sighandler_installed: signal dispositions with various flags and masks.
 *
 * State: handlers installed with SA_SIGINFO|SA_RESTART (+mask), with
 * SA_NODEFER|SA_RESETHAND, with SA_ONSTACK (+mask), with SA_RESTART and a
 * full mask, with SA_NOCLDSTOP|SA_NOCLDWAIT, with SA_RESTART|SA_NODEFER,
 * an SA_SIGINFO realtime handler; SIG_IGN for SIGPIPE and SIGURG (with a
 * mask); SIG_DFL with SA_RESTART for SIGALRM.
 * Check after SIGTERM: the kernel's view of all 64 dispositions (raw
 * rt_sigaction: handler, flags, restorer, mask) equals what was read
 * before the checkpoint, and each one equals what was installed. Then each
 * handled signal is raised: its handler runs once, with the right siginfo
 * (si_code, si_value) and the right signals blocked inside it (sa_mask,
 * itself unless SA_NODEFER); SA_RESETHAND left SIG_DFL behind; ignored
 * signals do nothing.
 */
#include "zdtm.h"
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

struct ksigaction { unsigned long handler, flags, restorer; uint64_t mask; };
struct seen { int count, code, value; uint64_t blocked; };

static struct seen seen[65];
static struct ksigaction kbefore[65];

static uint64_t bit(int sig) { return 1ULL << (sig - 1); }

static uint64_t cur_blocked(void)
{
	uint64_t m;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
	return m;
}

static void h_plain(int sig) { seen[sig].count++; seen[sig].blocked = cur_blocked(); }

static void h_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	h_plain(sig);
	seen[sig].code = si->si_code;
	seen[sig].value = si->si_value.sival_int;
}

static struct { int sig; void *h; int flags; uint64_t mask; } inst[] = {
	{ SIGUSR1, h_info, SA_SIGINFO | SA_RESTART, 0 },
	{ SIGUSR2, h_plain, SA_NODEFER | SA_RESETHAND, 0 },
	{ SIGHUP, h_plain, SA_ONSTACK, 0 },
	{ SIGWINCH, h_plain, SA_RESTART, ~0ULL },
	{ SIGCHLD, h_plain, SA_NOCLDSTOP | SA_NOCLDWAIT, 0 },
	{ SIGQUIT, h_plain, SA_RESTART | SA_NODEFER, 0 },
	{ 0 /* SIGRTMIN+3 */, h_info, SA_SIGINFO, 0 },
	{ SIGPIPE, SIG_IGN, 0, 0 },
	{ SIGURG, SIG_IGN, 0, 0 },
	{ SIGALRM, SIG_DFL, SA_RESTART, 0 },
};
#define NINST (int)(sizeof(inst) / sizeof(inst[0]))

/* The mask the kernel keeps: glibc refuses 32 and 33, the kernel drops KILL and STOP. */
static uint64_t kmask(int i)
{
	if (inst[i].mask == ~0ULL)
		return ~(bit(SIGKILL) | bit(SIGSTOP) | bit(32) | bit(33));
	return inst[i].mask;
}

static void kget(int sig, struct ksigaction *ka)
{
	memset(ka, 0, sizeof(*ka));
	if (syscall(SYS_rt_sigaction, sig, NULL, ka, 8))
		zdtm_fail("rt_sigaction(%d): %m", sig);
}

int main(int argc, char **argv)
{
	int rt = SIGRTMIN + 3, i, sig;
	struct ksigaction ka;
	struct sigaction sa;
	union sigval v;

	zdtm_init(argc, argv);
	inst[0].mask = bit(SIGUSR2) | bit(SIGHUP);
	inst[2].mask = bit(SIGINT);
	inst[6].sig = rt;
	inst[6].mask = bit(rt + 1);
	inst[8].mask = bit(SIGUSR1) | bit(SIGRTMAX);
	for (i = 0; i < NINST; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = inst[i].h;
		sa.sa_flags = inst[i].flags;
		for (sig = 1; sig <= 64; sig++)
			if (inst[i].mask & bit(sig))
				sigaddset(&sa.sa_mask, sig);	/* glibc skips its own two */
		if (sigaction(inst[i].sig, &sa, NULL))
			zdtm_fail("sigaction(%d): %m", inst[i].sig);
	}
	for (sig = 1; sig <= 64; sig++)
		kget(sig, &kbefore[sig]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (sig = 1; sig <= 64; sig++) {
		kget(sig, &ka);
		zdtm_check(!memcmp(&ka, &kbefore[sig], sizeof(ka)),
			   "signal %d: handler %#lx flags %#lx restorer %#lx mask %#llx, expected "
			   "%#lx %#lx %#lx %#llx", sig, ka.handler, ka.flags, ka.restorer,
			   (unsigned long long)ka.mask, kbefore[sig].handler, kbefore[sig].flags,
			   kbefore[sig].restorer, (unsigned long long)kbefore[sig].mask);
	}
	for (i = 0; i < NINST; i++) {
		uint64_t want_mask = kmask(i);
		kget(inst[i].sig, &ka);
		zdtm_check(ka.handler == (unsigned long)inst[i].h, "signal %d: wrong handler", inst[i].sig);
		zdtm_check((ka.flags & ~(unsigned long)SA_RESTORER) == (unsigned int)inst[i].flags,
			   "signal %d: flags %#lx, installed %#x", inst[i].sig, ka.flags, inst[i].flags);
		zdtm_check(ka.mask == want_mask, "signal %d: mask %#llx, installed %#llx", inst[i].sig,
			   (unsigned long long)ka.mask, (unsigned long long)want_mask);
	}

	/* Now use them. */
	v.sival_int = 1234;
	sigqueue(getpid(), SIGUSR1, v);
	v.sival_int = 5678;
	sigqueue(getpid(), rt, v);
	raise(SIGUSR2);
	raise(SIGHUP);
	raise(SIGWINCH);
	raise(SIGCHLD);
	raise(SIGQUIT);
	raise(SIGPIPE);
	raise(SIGURG);
	for (i = 0; i < 7; i++) {
		int s = inst[i].sig;
		uint64_t want = kmask(i);	/* main's own mask is empty here */
		if (!(inst[i].flags & SA_NODEFER))
			want |= bit(s);
		zdtm_check(seen[s].count == 1, "signal %d: handler ran %d times", s, seen[s].count);
		zdtm_check(seen[s].blocked == want, "signal %d: blocked in handler %#llx, expected %#llx",
			   s, (unsigned long long)seen[s].blocked, (unsigned long long)want);
	}
	zdtm_check(seen[SIGUSR1].code == SI_QUEUE && seen[SIGUSR1].value == 1234,
		   "SIGUSR1 siginfo: code %d value %d", seen[SIGUSR1].code, seen[SIGUSR1].value);
	zdtm_check(seen[rt].code == SI_QUEUE && seen[rt].value == 5678,
		   "SIGRTMIN+3 siginfo: code %d value %d", seen[rt].code, seen[rt].value);
	kget(SIGUSR2, &ka);
	zdtm_check(ka.handler == (unsigned long)SIG_DFL, "SA_RESETHAND did not reset SIGUSR2");
	zdtm_finish();
}
