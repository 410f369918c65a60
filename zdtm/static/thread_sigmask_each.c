/*
 * thread_sigmask_each: every thread with its own blocked-signal mask.
 *
 * State: 8 threads; thread i blocks SIGTERM plus a set of standard and realtime signals
 * chosen by the bits of a value derived from i (SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGPIPE,
 * SIGALRM, SIGCHLD, SIGWINCH, SIGRTMIN..SIGRTMIN+7, SIGRTMAX); they wait in nanosleep,
 * never touching their mask. The main thread blocks SIGHUP and SIGRTMIN+3 and waits with
 * zdtm_wait_for_term_poll() (mask untouched).
 * Check after SIGTERM: each thread reads its mask with pthread_sigmask() and compares it
 * with the mask computed again from i; /proc/self/task/TID/status SigBlk must be the same
 * set, as a 64-bit word computed by hand. Same for the main thread. A SIGUSR2 sent with
 * tgkill to one thread that blocks it stays pending in that thread only.
 */
#include "zdtm.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 8

static int sigs[16];
static int nsigs;

struct worker {
	pthread_t t;
	int idx;
	volatile pid_t tid;
	volatile int started, result, pending_ok;
};
static struct worker w[N];
static volatile int stop;

static uint32_t choice(int i)
{
	return (uint32_t)zdtm_mix64(0x51600 + i) | (1u << (i % nsigs));
}

/* The intended mask of thread i (i < 0: the main thread) as a sigset and as SigBlk's word. */
static void wanted(int i, sigset_t *set, unsigned long long *word)
{
	int k;
	sigemptyset(set);
	*word = 0;
	if (i < 0) {
		sigaddset(set, SIGHUP);
		sigaddset(set, SIGRTMIN + 3);
		*word = (1ULL << (SIGHUP - 1)) | (1ULL << (SIGRTMIN + 3 - 1));
		return;
	}
	sigaddset(set, SIGTERM);
	*word |= 1ULL << (SIGTERM - 1);
	for (k = 0; k < nsigs; k++)
		if (choice(i) & (1u << k)) {
			sigaddset(set, sigs[k]);
			*word |= 1ULL << (sigs[k] - 1);
		}
}

static unsigned long long sigblk_of(pid_t tid)
{
	char path[64], buf[4096], *p;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "\nSigBlk:");
	return p ? strtoull(p + 8, NULL, 16) : ~0ULL;
}

static int same_set(const sigset_t *a, const sigset_t *b)
{
	int s;
	for (s = 1; s < NSIG; s++)
		if (sigismember(a, s) != sigismember(b, s))
			return 0;
	return 1;
}

static void *run(void *arg)
{
	struct worker *me = arg;
	sigset_t want, cur, pend;
	unsigned long long word;

	wanted(me->idx, &want, &word);
	pthread_sigmask(SIG_SETMASK, &want, NULL);
	me->tid = gettid();
	me->started = 1;
	while (!stop)
		zdtm_sleep_ms(20);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	me->result = same_set(&cur, &want) ? 42 : 1;
	sigpending(&pend);
	me->pending_ok = sigismember(&pend, SIGUSR2);
	return NULL;
}

int main(int argc, char **argv)
{
	sigset_t mainset, cur, pend;
	unsigned long long word;
	int i, target = -1;

	zdtm_init(argc, argv);
	{
		int list[] = { SIGHUP, SIGINT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGCHLD, SIGWINCH,
			       SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3, SIGRTMIN + 4,
			       SIGRTMIN + 5, SIGRTMIN + 7, SIGRTMAX };
		memcpy(sigs, list, sizeof(list));
		nsigs = 16;
	}
	for (i = 0; i < N; i++) {
		w[i].idx = i;
		if (pthread_create(&w[i].t, NULL, run, &w[i]))
			zdtm_fail("pthread_create failed");
	}
	for (i = 0; i < N; i++)
		while (!w[i].started)
			zdtm_sleep_ms(1);
	wanted(-1, &mainset, &word);
	pthread_sigmask(SIG_SETMASK, &mainset, NULL);
	for (i = 0; i < N; i++) {
		sigset_t s;
		unsigned long long wd;
		wanted(i, &s, &wd);
		if (sigblk_of(w[i].tid) != wd)
			zdtm_fail("thread %d: SigBlk %#llx, meant %#llx", i, sigblk_of(w[i].tid), wd);
		if (target < 0 && sigismember(&s, SIGUSR2))
			target = i;
	}
	if (target < 0)
		zdtm_fail("no thread blocks SIGUSR2");

	zdtm_ready();
	zdtm_wait_for_term_poll();

	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	zdtm_check(same_set(&cur, &mainset), "main thread: mask differs");
	zdtm_check(sigblk_of(gettid()) == word, "main thread: SigBlk %#llx, expected %#llx", sigblk_of(gettid()), word);
	for (i = 0; i < N; i++) {
		sigset_t s;
		unsigned long long wd;
		wanted(i, &s, &wd);
		zdtm_check(sigblk_of(w[i].tid) == wd, "thread %d (tid %d): SigBlk %#llx, expected %#llx", i, w[i].tid,
			   sigblk_of(w[i].tid), wd);
	}
	syscall(SYS_tgkill, getpid(), w[target].tid, SIGUSR2);
	stop = 1;
	for (i = 0; i < N; i++) {
		pthread_join(w[i].t, NULL);
		zdtm_check(w[i].result == 42, "thread %d: pthread_sigmask() gives another mask", i);
		zdtm_check(w[i].pending_ok == (i == target), "thread %d: SIGUSR2 %spending", i,
			   w[i].pending_ok ? "" : "not ");
	}
	sigpending(&pend);
	zdtm_check(!sigismember(&pend, SIGUSR2), "SIGUSR2 pending in the main thread");
	zdtm_finish();
}
