/*
 * sigaltstack_set: an alternate signal stack.
 *
 * State: a 64 KiB mmap'ed region installed with sigaltstack(); SIGUSR1
 * handled with SA_ONSTACK, SIGUSR2 handled without it.
 * Check after SIGTERM: sigaltstack() reports the same base, size and
 * flags 0; raising SIGUSR1 runs its handler on the alternate stack (a
 * local variable's address lies inside the region and sigaltstack() in
 * the handler says SS_ONSTACK); SIGUSR2's handler runs on the normal
 * stack; the alternate stack's region is still mapped rw.
 */
#include "zdtm.h"
#include <sys/mman.h>

#define ALT_SIZE (64 * 1024)

static uint8_t *alt;
static volatile unsigned long local_addr[NSIG];
static volatile int ss_flags_in[NSIG], ran[NSIG];

static void handler(int sig)
{
	volatile int local = sig;
	stack_t cur;
	local_addr[sig] = (unsigned long)&local;
	sigaltstack(NULL, &cur);
	ss_flags_in[sig] = cur.ss_flags;
	ran[sig]++;
}

static int on_alt(unsigned long a)
{
	return a >= (unsigned long)alt && a < (unsigned long)alt + ALT_SIZE;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	stack_t ss, cur;

	zdtm_init(argc, argv);
	alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt == MAP_FAILED)
		zdtm_fail("mmap: %m");
	ss.ss_sp = alt;
	ss.ss_size = ALT_SIZE;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL))
		zdtm_fail("sigaltstack: %m");
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	zdtm_log("alternate stack at %p", alt);

	zdtm_ready();
	zdtm_wait_for_term();

	if (sigaltstack(NULL, &cur))
		zdtm_fail("sigaltstack: %m");
	zdtm_check(cur.ss_sp == alt && cur.ss_size == ALT_SIZE && cur.ss_flags == 0,
		   "sigaltstack: sp %p size %zu flags %d, expected %p %d 0", cur.ss_sp, cur.ss_size,
		   cur.ss_flags, alt, ALT_SIZE);
	zdtm_check(zdtm_range_perms(alt, ALT_SIZE, "rw-p") == 0, "the alternate stack is not mapped rw");
	raise(SIGUSR1);
	raise(SIGUSR2);
	zdtm_check(ran[SIGUSR1] == 1 && ran[SIGUSR2] == 1, "handlers ran %d/%d times",
		   ran[SIGUSR1], ran[SIGUSR2]);
	zdtm_check(on_alt(local_addr[SIGUSR1]), "SA_ONSTACK handler ran at %#lx, not on the alt stack",
		   local_addr[SIGUSR1]);
	zdtm_check(ss_flags_in[SIGUSR1] == SS_ONSTACK, "in the SA_ONSTACK handler ss_flags = %d",
		   ss_flags_in[SIGUSR1]);
	zdtm_check(!on_alt(local_addr[SIGUSR2]) && ss_flags_in[SIGUSR2] == 0,
		   "the plain handler ran on the alt stack");
	zdtm_finish();
}
