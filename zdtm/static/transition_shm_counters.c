/*
 * transition_shm_counters: a MAP_SHARED anonymous page of counters incremented by several
 * processes at once the whole time the tree is dumped.
 *
 * State: four children share one anonymous shared page with the root. Each child, in a loop,
 * adds 1 to a common counter with an atomic add, then 1 to its own slot (in that order), and
 * counts in its private memory too; the root keeps reading the page. So the page changes under
 * the freeze, with children caught between the two adds.
 * Check: each time the root looks, reading the common counter (T1), then the slots (S), then
 * the counter again (T2): T1 - 4 <= S <= T2 (every slot lags the counter by at most the one add
 * in progress, and no add is lost or invented); after SIGTERM the children stop (SIGTERM) and
 * report their private counts through a pipe: each slot equals its child's count, the counter
 * equals the sum of the slots, and it moved after zdtm_ready (the page is still shared by all
 * five after each restore, or the root would see it stand still or drift).
 */
#include "zdtm.h"
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIDS 4

struct page {
	uint64_t total;
	uint64_t slot[KIDS];
};

int main(int argc, char **argv)
{
	struct page *pg;
	pid_t kids[KIDS];
	int rep[2], st;
	uint64_t bad = 0, samples = 0, at_ready, counts[KIDS] = { 0 };

	zdtm_init(argc, argv);
	pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED)
		zdtm_fail("mmap: %m");
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	for (int k = 0; k < KIDS; k++) {
		kids[k] = fork();
		if (kids[k] < 0)
			zdtm_fail("fork: %m");
		if (kids[k] == 0) {
			uint64_t mine = 0;
			close(rep[0]);
			while (!zdtm_term_requested()) {
				__atomic_add_fetch(&pg->total, 1, __ATOMIC_SEQ_CST);
				__atomic_add_fetch(&pg->slot[k], 1, __ATOMIC_SEQ_CST);
				mine++;
				if (mine % 64 == 0)
					usleep(50);
			}
			uint64_t m[2] = { (uint64_t)k, mine };
			if (write(rep[1], m, sizeof(m)) != sizeof(m))
				_exit(10);
			_exit(0);
		}
	}
	close(rep[1]);
	while (__atomic_load_n(&pg->total, __ATOMIC_SEQ_CST) < 10000)
		usleep(1000);
	at_ready = __atomic_load_n(&pg->total, __ATOMIC_SEQ_CST);
	zdtm_ready();
	while (!zdtm_term_requested()) {
		uint64_t t1 = __atomic_load_n(&pg->total, __ATOMIC_SEQ_CST), s = 0;
		for (int k = 0; k < KIDS; k++)
			s += __atomic_load_n(&pg->slot[k], __ATOMIC_SEQ_CST);
		uint64_t t2 = __atomic_load_n(&pg->total, __ATOMIC_SEQ_CST);
		if ((s + KIDS < t1 || s > t2) && bad++ < 5)
			zdtm_log("counter %llu, slots %llu, counter %llu", (unsigned long long)t1, (unsigned long long)s,
				 (unsigned long long)t2);
		samples++;
		usleep(500);
	}
	for (int k = 0; k < KIDS; k++)
		kill(kids[k], SIGTERM);
	for (int k = 0; k < KIDS; k++) {
		if (waitpid(kids[k], &st, 0) != kids[k])
			zdtm_fail("waitpid: %m");
		zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d ended %#x", k, st);
	}
	for (int k = 0; k < KIDS; k++) {
		uint64_t m[2];
		if (read(rep[0], m, sizeof(m)) != sizeof(m) || m[0] >= KIDS)
			zdtm_fail("bad report from a child");
		counts[m[0]] = m[1];
	}
	uint64_t sum = 0;
	for (int k = 0; k < KIDS; k++) {
		zdtm_check(pg->slot[k] == counts[k], "slot %d is %llu, child %d counted %llu", k,
			   (unsigned long long)pg->slot[k], k, (unsigned long long)counts[k]);
		sum += counts[k];
	}
	zdtm_log("counter %llu (%llu at ready), %llu samples", (unsigned long long)pg->total, (unsigned long long)at_ready,
		 (unsigned long long)samples);
	zdtm_check(bad == 0, "%llu samples broke T1 - %d <= slots <= T2", (unsigned long long)bad, KIDS);
	zdtm_check(pg->total == sum, "counter %llu, the children counted %llu", (unsigned long long)pg->total,
		   (unsigned long long)sum);
	zdtm_check(pg->total > at_ready, "the counter did not move after zdtm_ready");
	zdtm_finish();
}
