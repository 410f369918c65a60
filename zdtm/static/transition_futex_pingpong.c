/*
 * transition_futex_pingpong: futex words passed back and forth the whole time the tree is dumped,
 * between two threads (a private futex) and between the root and a child (a shared futex in
 * MAP_SHARED anonymous memory).
 *
 * State: in each pair, side A waits until the word is 2n, sets it to 2n+1 and wakes B; B waits
 * until it is 2n+1, sets 2n+2 and wakes A; each side counts its turns in its own memory. One
 * side is asleep in FUTEX_WAIT (no timeout) nearly all the time, so the freeze catches waits on
 * the word and wakeups in flight. A pauses 50 us before each turn (see play()).
 * Check: each side always finds exactly the value it waits for (never one it skipped, so no
 * turn is lost or doubled) and its own count matches the word; a wakeup lost across a
 * checkpoint would stop a pair: after SIGTERM A, at its turn, sets the word to a stop value
 * and wakes B; the root waits at most 20 s for both pairs to end, then compares the counts:
 * B took exactly as many turns as A, and both moved after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP 0xffffffffu

struct pair {
	uint32_t word;
	uint32_t stop;		/* A stops at its next turn */
	uint64_t turns[2];	/* copies for the root, written when a side ends */
	uint64_t wrong[2];
	uint32_t done[2];
};

static long futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Waits until *w is want (returns 1) or STOP (returns 0); counts other values seen in *wrong. */
static int wait_for(uint32_t *w, uint32_t want, int private, uint64_t *wrong, uint32_t prev)
{
	for (;;) {
		uint32_t v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
		if (v == want)
			return 1;
		if (v == STOP)
			return 0;
		if (v != prev)
			(*wrong)++;	/* neither ours nor the next: a turn skipped */
		long r = futex(w, private ? FUTEX_WAIT_PRIVATE : FUTEX_WAIT, v);
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			zdtm_fail("futex wait: %m");
	}
}

static void set_wake(uint32_t *w, uint32_t v, int private)
{
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
	futex(w, private ? FUTEX_WAKE_PRIVATE : FUTEX_WAKE, 1);
}

/* One side of a pair: side 0 is A (waits for even values), 1 is B. */
static void play(struct pair *p, int side, int private)
{
	uint64_t n = 0, wrong = 0;
	for (;;) {
		uint32_t want = (uint32_t)(2 * n + side), prev = want - 1;
		if (!wait_for(&p->word, want, private, &wrong, prev))
			break;	/* B: A said stop */
		if (side == 0 && __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
			set_wake(&p->word, STOP, private);
			break;
		}
		n++;
		/*
		 * A paces the pair: a ping-pong at full speed keeps waking tasks on both CPUs of a
		 * small machine, and the scheduler then starves everything else there (a 0.15 s Node
		 * start took 19 s), the checkpointer included. B stays asleep in FUTEX_WAIT meanwhile.
		 */
		if (side == 0) {
			struct timespec pause = { 0, 50000 };
			nanosleep(&pause, NULL);
		}
		set_wake(&p->word, want + 1, private);
	}
	p->turns[side] = n;
	p->wrong[side] = wrong;
	__atomic_store_n(&p->done[side], 1, __ATOMIC_RELEASE);
}

static struct pair threads_pair;

static void *thread_a(void *arg)
{
	(void)arg;
	play(&threads_pair, 0, 1);
	return NULL;
}

static void *thread_b(void *arg)
{
	(void)arg;
	play(&threads_pair, 1, 1);
	return NULL;
}

static struct pair *shared_pair;

static void *shared_a(void *arg)
{
	(void)arg;
	play(shared_pair, 0, 0);
	return NULL;
}

static int ended(struct pair *p)
{
	return __atomic_load_n(&p->done[0], __ATOMIC_ACQUIRE) && __atomic_load_n(&p->done[1], __ATOMIC_ACQUIRE);
}

static uint64_t progress(struct pair *p)
{
	return __atomic_load_n(&p->word, __ATOMIC_ACQUIRE);
}

int main(int argc, char **argv)
{
	pthread_t ta, tb;
	struct pair *sp;
	pid_t child;
	sigset_t term;
	int st;
	uint64_t t_ready, s_ready;

	zdtm_init(argc, argv);
	sp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sp == MAP_FAILED)
		zdtm_fail("mmap: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		signal(SIGTERM, SIG_IGN);	/* the root ends it through the word */
		play(sp, 1, 0);
		_exit(0);
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (pthread_create(&ta, NULL, thread_a, NULL) || pthread_create(&tb, NULL, thread_b, NULL))
		zdtm_fail("pthread_create: %m");
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);

	/* A of the shared pair is a thread of the root. */
	pthread_t sa;
	shared_pair = sp;
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (pthread_create(&sa, NULL, shared_a, NULL))
		zdtm_fail("pthread_create: %m");
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);

	while (progress(&threads_pair) < 2000 || progress(sp) < 2000)
		usleep(1000);
	t_ready = progress(&threads_pair);
	s_ready = progress(sp);
	zdtm_ready();
	zdtm_wait_for_term();

	__atomic_store_n(&threads_pair.stop, 1, __ATOMIC_RELEASE);
	__atomic_store_n(&sp->stop, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < 2000 && !(ended(&threads_pair) && ended(sp)); i++)
		usleep(10000);
	if (!ended(&threads_pair) || !ended(sp)) {
		zdtm_log("threads pair: word %u, done %u/%u; process pair: word %u, done %u/%u", threads_pair.word,
			 threads_pair.done[0], threads_pair.done[1], sp->word, sp->done[0], sp->done[1]);
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
		zdtm_fail("a pair did not end within 20 s: a wakeup was lost");
	}
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_join(sa, NULL);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended %#x", st);
	struct pair *pairs[2] = { &threads_pair, sp };
	const char *names[2] = { "threads", "processes" };
	uint64_t at_ready[2] = { t_ready, s_ready };
	for (int i = 0; i < 2; i++) {
		struct pair *p = pairs[i];
		zdtm_log("%s pair: A %llu turns, B %llu (%llu values at ready)", names[i], (unsigned long long)p->turns[0],
			 (unsigned long long)p->turns[1], (unsigned long long)at_ready[i]);
		zdtm_check(p->wrong[0] == 0 && p->wrong[1] == 0, "%s pair: %llu/%llu values skipped", names[i],
			   (unsigned long long)p->wrong[0], (unsigned long long)p->wrong[1]);
		zdtm_check(p->turns[0] == p->turns[1], "%s pair: A took %llu turns, B %llu", names[i],
			   (unsigned long long)p->turns[0], (unsigned long long)p->turns[1]);
		zdtm_check(2 * p->turns[0] > at_ready[i], "%s pair: no turn after zdtm_ready", names[i]);
	}
	zdtm_finish();
}
