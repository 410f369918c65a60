/*
 * thread_robust_mutex: robust mutexes held by a thread and by a child process.
 *
 * State: a thread T holds robust mutex M1 (process-private) and waits; a child process C
 * holds robust, process-shared mutex M2 in a MAP_SHARED page and waits. Both registered
 * their robust lists through glibc (set_robust_list), which the kernel walks when they die.
 * Check after SIGTERM: the kernel still has a robust list for T (get_robust_list on its tid
 * returns glibc's list head, the one T read for itself before the checkpoint) and for C;
 * M1 and M2 are still locked (trylock EBUSY) with the owner's tid in the futex word. T is
 * told to exit without unlocking: the main thread's lock of M1 must return EOWNERDEAD
 * (the kernel walked T's robust list). C is killed with SIGKILL: lock of M2 must return
 * EOWNERDEAD too; both are made consistent and work again.
 */
#include "zdtm.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared {
	pthread_mutex_t m2;
	volatile int c_locked;
	volatile pid_t c_tid;
	volatile long c_head;
};

static pthread_mutex_t m1;
static struct shared *sh;
static volatile int t_locked, t_go;
static volatile pid_t t_tid;
static volatile long t_head;

static long robust_head(pid_t tid)
{
	void *head = NULL;
	size_t len = 0;
	if (syscall(SYS_get_robust_list, tid, &head, &len))
		return -1;
	return (long)head;
}

static void init_robust(pthread_mutex_t *m, int pshared)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (pshared)
		pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (pthread_mutex_init(m, &a))
		zdtm_fail("pthread_mutex_init failed");
	pthread_mutexattr_destroy(&a);
}

static void *holder(void *arg)
{
	(void)arg;
	if (pthread_mutex_lock(&m1))
		return NULL;
	t_tid = gettid();
	t_head = robust_head(0);
	t_locked = 1;
	while (!t_go)
		zdtm_sleep_ms(10);
	return NULL;	/* exits holding m1 */
}

static void check_owner_dead(pthread_mutex_t *m, const char *name)
{
	struct timespec ts;
	int r;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	r = pthread_mutex_timedlock(m, &ts);
	if (!zdtm_check(r == EOWNERDEAD, "%s: lock after the owner died returned %s, expected EOWNERDEAD",
			name, strerror(r)))
		return;
	zdtm_check(pthread_mutex_consistent(m) == 0, "%s: cannot be made consistent", name);
	zdtm_check(pthread_mutex_unlock(m) == 0 && pthread_mutex_lock(m) == 0 && pthread_mutex_unlock(m) == 0,
		   "%s: does not work after recovery", name);
}

int main(int argc, char **argv)
{
	sigset_t term, old;
	pthread_t t;
	pid_t c;
	int st = 0, i;
	unsigned owner;

	zdtm_init(argc, argv);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		zdtm_fail("mmap: %m");
	init_robust(&m1, 0);
	init_robust(&sh->m2, 1);

	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		signal(SIGTERM, SIG_IGN);
		if (pthread_mutex_lock(&sh->m2))
			_exit(3);
		sh->c_tid = gettid();
		sh->c_head = robust_head(0);
		sh->c_locked = 1;
		for (;;)
			pause();
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &old);
	if (pthread_create(&t, NULL, holder, NULL))
		zdtm_fail("pthread_create failed");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (i = 0; i < 1000 && !(t_locked && sh->c_locked); i++)
		zdtm_sleep_ms(10);
	if (!t_locked || !sh->c_locked)
		zdtm_fail("the holders did not lock");
	if (t_head <= 0 || sh->c_head <= 0)
		zdtm_fail("no robust list registered (thread %#lx, child %#lx)", t_head, sh->c_head);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(robust_head(t_tid) == t_head, "T: robust list head %#lx, was %#lx", robust_head(t_tid), t_head);
	zdtm_check(robust_head(c) == sh->c_head, "C: robust list head %#lx, was %#lx", robust_head(c), sh->c_head);
	owner = *(volatile unsigned *)&m1.__data.__lock & 0x3fffffff;
	zdtm_check(owner == (unsigned)t_tid, "M1 futex word names owner %u, expected T %d", owner, t_tid);
	owner = *(volatile unsigned *)&sh->m2.__data.__lock & 0x3fffffff;
	zdtm_check(owner == (unsigned)c, "M2 futex word names owner %u, expected C %d", owner, c);
	zdtm_check(pthread_mutex_trylock(&m1) == EBUSY, "M1 is not locked");
	zdtm_check(pthread_mutex_trylock(&sh->m2) == EBUSY, "M2 is not locked");

	t_go = 1;
	pthread_join(t, NULL);
	check_owner_dead(&m1, "M1 (thread)");
	kill(c, SIGKILL);
	zdtm_check(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "C ended with status %#x", st);
	check_owner_dead(&sh->m2, "M2 (child process)");
	zdtm_finish();
}
