/*
 * thread_rseq: restartable-sequences registrations of every thread.
 *
 * State: glibc registers an rseq area per thread (at thread pointer + __rseq_offset, with
 * signature 0x53053053). The main thread and 3 more threads are running; before the
 * checkpoint each finds the registered length by asking the kernel to register its area
 * again (EBUSY means: this exact area, length and signature are registered).
 * Check after SIGTERM, in every thread: registering the same area, length and signature
 * again fails with EBUSY (not 0: nothing registered; not EINVAL: another area or length;
 * not EPERM: another signature); the kernel keeps the area up to date: cpu_id_start and
 * cpu_id, overwritten with garbage, hold a valid CPU number again after a sleep.
 * With a glibc older than 2.35 (Debian 11 has 2.31) there is no such registration (nor
 * <sys/rseq.h>, __rseq_offset, __rseq_size): the test skips.
 */
#include "zdtm.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !__GLIBC_PREREQ(2, 35)
#include <gnu/libc-version.h>

int main(int argc, char **argv)
{
	zdtm_init(argc, argv);
	zdtm_skip("glibc %s registers no rseq area (glibc 2.35+ does)", gnu_get_libc_version());
}
#else
#include <sys/rseq.h>

#define SIG 0x53053053
#define N 4

struct worker {
	pthread_t t;
	volatile int started, stop, len, result;
	volatile int err_after;
};
static struct worker w[N];

static struct rseq *area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

static int reregister(int len)
{
	return syscall(SYS_rseq, area(), len, 0, SIG) ? errno : 0;
}

/* The registered length: the one of the candidates that gets EBUSY, or 0. */
static int find_len(void)
{
	int cands[] = { (int)__rseq_size, 32, 20 }, i;
	for (i = 0; i < 3; i++)
		if (cands[i] >= 20 && reregister(cands[i]) == EBUSY)
			return cands[i];
	return 0;
}

static int check_me(struct worker *me)
{
	volatile struct rseq *r = area();
	unsigned ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int e = reregister(me->len);

	me->err_after = e;
	if (e != EBUSY)
		return 1;
	r->cpu_id_start = 0xfffff000;
	r->cpu_id = 0xfffff000;
	zdtm_sleep_ms(20);	/* a context switch: the kernel rewrites the fields */
	if (r->cpu_id >= ncpu || r->cpu_id_start >= ncpu)
		return 2;
	return 42;
}

static void *run(void *arg)
{
	struct worker *me = arg;
	me->len = find_len();
	me->started = 1;
	while (!me->stop)
		zdtm_sleep_ms(10);
	me->result = check_me(me);
	return NULL;
}

int main(int argc, char **argv)
{
	sigset_t term, old;
	int i;

	zdtm_init(argc, argv);
	if (__rseq_size == 0)
		zdtm_fail("glibc did not register rseq (GLIBC_TUNABLES glibc.pthread.rseq=0?)");
	w[0].len = find_len();
	if (!w[0].len)
		zdtm_fail("no registered rseq area found for the main thread");
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	for (i = 1; i < N; i++)
		if (pthread_create(&w[i].t, NULL, run, &w[i]))
			zdtm_fail("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 1; i < N; i++) {
		while (!w[i].started)
			zdtm_sleep_ms(1);
		if (!w[i].len)
			zdtm_fail("no registered rseq area found for thread %d", i);
	}
	zdtm_log("rseq registered with length %d (__rseq_size %u, offset %td)", w[0].len, __rseq_size, __rseq_offset);

	zdtm_ready();
	zdtm_wait_for_term();

	w[0].result = check_me(&w[0]);
	for (i = 1; i < N; i++) {
		w[i].stop = 1;
		pthread_join(w[i].t, NULL);
	}
	for (i = 0; i < N; i++)
		zdtm_check(w[i].result == 42, "thread %d: %s (re-registering gave %s)", i,
			   w[i].result == 1 ? "its rseq area is not registered as before" : "the kernel does not update its rseq area",
			   w[i].err_after ? strerror(w[i].err_after) : "success");
	zdtm_finish();
}
#endif
