/*
 * thread_sigaltstack: a different alternate signal stack in each thread.
 *
 * State: 4 threads (SIGTERM blocked). Thread i > 0 has its own alternate stack of
 * (i + 1) * 16 KiB in a heap block (thread 2's with SS_AUTODISARM); thread 0 has none
 * (SS_DISABLE). SIGUSR1 has an SA_ONSTACK|SA_SIGINFO handler that records the address of
 * one of its locals and the sigaltstack() the handler sees.
 * Check after SIGTERM: each thread reads sigaltstack() back: the same ss_sp, ss_size and
 * flags (SS_AUTODISARM kept, SS_DISABLE for thread 0); then each gets SIGUSR1 by
 * pthread_kill: the handler runs once in that thread, on its own alternate stack (inside
 * [ss_sp, ss_sp + ss_size)) for threads 1-3 and off any of them for thread 0; in thread 2
 * the handler sees the stack disarmed (SS_DISABLE), in 1 and 3 SS_ONSTACK.
 */
#include "zdtm.h"
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#define N 4
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)	/* linux/signal.h; not in glibc 2.36 */
#endif

struct worker {
	pthread_t t;
	int idx;
	uint8_t *stack;
	size_t size;
	int flags;		/* as set */
	volatile int started, go, handled, result;
	volatile uintptr_t local_addr;
	volatile int seen_flags;
	stack_t readback;
};
static struct worker w[N];
static __thread struct worker *self;

static void handler(int sig, siginfo_t *si, void *uc)
{
	stack_t cur;
	int here;
	(void)sig;
	(void)si;
	(void)uc;
	self->local_addr = (uintptr_t)&here;
	sigaltstack(NULL, &cur);
	self->seen_flags = cur.ss_flags;
	self->handled++;
}

static void *run(void *arg)
{
	struct worker *me = arg;
	stack_t ss;
	self = me;
	if (me->idx > 0) {
		ss.ss_sp = me->stack;
		ss.ss_size = me->size;
		ss.ss_flags = me->flags;
		if (sigaltstack(&ss, NULL))
			return (void *)1;
	}
	me->started = 1;
	while (!me->go)
		zdtm_sleep_ms(10);
	sigaltstack(NULL, &me->readback);
	me->go = 2;
	while (me->go != 3)
		zdtm_sleep_ms(5);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t term, old;
	int i, j;

	zdtm_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_ONSTACK | SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 0; i < N; i++) {
		w[i].idx = i;
		w[i].size = (i + 1) * 16 * 1024;
		w[i].stack = xmalloc(w[i].size);
		w[i].flags = i == 2 ? SS_AUTODISARM : 0;
		if (pthread_create(&w[i].t, NULL, run, &w[i]))
			zdtm_fail("pthread_create failed");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < N; i++)
		while (!w[i].started)
			zdtm_sleep_ms(1);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < N; i++) {
		struct worker *x = &w[i];
		x->go = 1;
		for (j = 0; j < 500 && x->go != 2; j++)
			zdtm_sleep_ms(10);
		if (!zdtm_check(x->go == 2, "thread %d does not respond", i))
			continue;
		if (i == 0) {
			zdtm_check(x->readback.ss_flags == SS_DISABLE, "thread 0: sigaltstack flags %#x, expected SS_DISABLE",
				   x->readback.ss_flags);
		} else {
			zdtm_check(x->readback.ss_sp == x->stack && x->readback.ss_size == x->size &&
				   x->readback.ss_flags == x->flags,
				   "thread %d: sigaltstack %p size %zu flags %#x, expected %p %zu %#x", i,
				   x->readback.ss_sp, x->readback.ss_size, x->readback.ss_flags, x->stack, x->size,
				   x->flags);
		}
		pthread_kill(x->t, SIGUSR1);
		for (j = 0; j < 500 && !x->handled; j++)
			zdtm_sleep_ms(10);
		zdtm_check(x->handled == 1, "thread %d: handler ran %d times", i, x->handled);
		if (i == 0) {
			for (j = 1; j < N; j++)
				zdtm_check(x->local_addr - (uintptr_t)w[j].stack >= w[j].size,
					   "thread 0: handler ran on thread %d's alternate stack", j);
		} else {
			zdtm_check(x->local_addr - (uintptr_t)x->stack < x->size,
				   "thread %d: handler ran at %#lx, not on its alternate stack %p+%zu", i,
				   (unsigned long)x->local_addr, x->stack, x->size);
			zdtm_check(x->seen_flags == (i == 2 ? SS_DISABLE : SS_ONSTACK),
				   "thread %d: the handler sees flags %#x", i, x->seen_flags);
		}
		x->go = 3;
		pthread_join(x->t, NULL);
	}
	zdtm_finish();
}
