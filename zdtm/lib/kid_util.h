/*
 * kid_util.h: small helpers of tests whose state spans a parent and children: a shared
 * anonymous page for phases and reports, waiting for a phase, reaping with a deadline.
 */
#ifndef KID_UTIL_H
#define KID_UTIL_H

#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* One shared anonymous page (MAP_SHARED, inherited by fork), zeroed. */
static inline volatile int *kid_shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		zdtm_fail("mmap shared page: %m");
	return (volatile int *)p;
}

/* Waits (10 ms steps, at most ms) until *word >= want: 1 if it got there. */
static inline int kid_wait_word(volatile int *word, int want, int ms)
{
	int i;
	for (i = 0; i < ms / 10 + 1; i++) {
		if (__atomic_load_n(word, __ATOMIC_SEQ_CST) >= want)
			return 1;
		zdtm_sleep_ms(10);
	}
	return __atomic_load_n(word, __ATOMIC_SEQ_CST) >= want;
}

static inline void kid_set_word(volatile int *word, int v)
{
	__atomic_store_n(word, v, __ATOMIC_SEQ_CST);
}

/* waitpid(pid) for at most ms (WNOHANG polling); returns 1 and the status, or 0 on timeout. */
static inline int kid_reap(pid_t pid, int *status, int ms)
{
	int i;
	for (i = 0; i < ms / 10 + 1; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
		zdtm_sleep_ms(10);
	}
	return 0;
}

/* Reaps pid (killing it after ms) and checks it exited 0; 1 if it did. */
static inline int kid_reap_ok(pid_t pid, const char *what, int ms)
{
	int st = 0;
	if (!kid_reap(pid, &st, ms)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return zdtm_check(0, "%s (pid %d) did not end in %d ms", what, (int)pid, ms);
	}
	return zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (pid %d) ended with status %#x", what,
			  (int)pid, st);
}

#endif
