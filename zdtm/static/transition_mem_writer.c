/*
 * transition_mem_writer: memory rewritten by a worker thread the whole time it is dumped.
 *
 * State: 16 MiB of private anonymous memory (4096 pages). A worker thread sweeps it over and
 * over: in pass v it first checks that page p still holds exactly what it wrote there in pass
 * v-1 (every 64-bit word a function of v-1, p and the word's index), then rewrites it for
 * pass v, and publishes (v, p) after each page. The freeze catches the sweep in the middle of
 * a pass and often in the middle of a page; the main thread meanwhile reads the cursor and
 * checks that it only moves forward.
 * Check after SIGTERM: the worker never found a page other than it left it (so every page
 * written before a checkpoint came back, none from an older pass, none moved); the cursor
 * never went backwards; the worker is stopped at a page boundary and then the whole region is
 * checked: pages before the cursor hold pass v, the others pass v-1; the sweep went on after
 * each restore (more passes than at zdtm_ready).
 */
#include "zdtm.h"
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 4096
#define WORDS 512	/* per 4 KiB page */

static uint64_t *mem;
static uint64_t cursor;		/* pass << 32 | page, published after each page */
static volatile int stop;
static uint64_t worker_bad;

static inline uint64_t word(uint64_t pass, uint64_t page, uint64_t w)
{
	return zdtm_mix64((pass << 32) ^ (page << 12) ^ w) ^ pass;
}

static int page_is(uint64_t pass, uint64_t page)
{
	const uint64_t *pg = mem + page * WORDS;
	for (uint64_t w = 0; w < WORDS; w++)
		if (pg[w] != word(pass, page, w))
			return 0;
	return 1;
}

static void *writer(void *arg)
{
	(void)arg;
	for (uint64_t pass = 1;; pass++) {
		for (uint64_t p = 0; p < PAGES; p++) {
			uint64_t *pg = mem + p * WORDS;
			if (!page_is(pass - 1, p)) {
				uint64_t w = 0;
				while (w < WORDS && pg[w] == word(pass - 1, p, w))
					w++;
				if (worker_bad++ < 5)
					zdtm_log("pass %llu page %llu word %llu: %llx, expected %llx", (unsigned long long)pass,
						 (unsigned long long)p, (unsigned long long)w, (unsigned long long)pg[w],
						 (unsigned long long)word(pass - 1, p, w));
			}
			for (uint64_t w = 0; w < WORDS; w++)
				pg[w] = word(pass, p, w);
			__atomic_store_n(&cursor, pass << 32 | (p + 1), __ATOMIC_RELEASE);
			if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
				return NULL;
		}
	}
}

int main(int argc, char **argv)
{
	pthread_t t;
	sigset_t term;
	uint64_t at_ready, last = 0, backwards = 0, samples = 0;

	zdtm_init(argc, argv);
	mem = mmap(NULL, PAGES * 4096UL, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		zdtm_fail("mmap: %m");
	for (uint64_t p = 0; p < PAGES; p++)
		for (uint64_t w = 0; w < WORDS; w++)
			mem[p * WORDS + w] = word(0, p, w);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, NULL);
	if (pthread_create(&t, NULL, writer, NULL))
		zdtm_fail("pthread_create: %m");
	pthread_sigmask(SIG_UNBLOCK, &term, NULL);
	while (__atomic_load_n(&cursor, __ATOMIC_ACQUIRE) < (2ULL << 32))
		usleep(1000);
	at_ready = __atomic_load_n(&cursor, __ATOMIC_ACQUIRE);
	zdtm_ready();
	while (!zdtm_term_requested()) {
		uint64_t c = __atomic_load_n(&cursor, __ATOMIC_ACQUIRE);
		if (c < last && backwards++ < 5)
			zdtm_log("cursor went back from %llx to %llx", (unsigned long long)last, (unsigned long long)c);
		last = c;
		samples++;
		usleep(2000);
	}
	/* Let the sweep go on after the last restore, then stop it. */
	for (int w = 0; w < 10000 && __atomic_load_n(&cursor, __ATOMIC_ACQUIRE) < last + 64; w++)
		usleep(1000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	if (pthread_join(t, NULL))
		zdtm_fail("pthread_join: %m");
	uint64_t c = cursor, pass = c >> 32, upto = c & 0xffffffff, wrong = 0;
	for (uint64_t p = 0; p < PAGES; p++) {
		uint64_t want = p < upto ? pass : pass - 1;
		if (!page_is(want, p) && wrong++ < 5)
			zdtm_log("page %llu is not from pass %llu", (unsigned long long)p, (unsigned long long)want);
	}
	zdtm_log("stopped at pass %llu page %llu (%llu passes at ready), %llu samples", (unsigned long long)pass,
		 (unsigned long long)upto, (unsigned long long)(at_ready >> 32), (unsigned long long)samples);
	zdtm_check(worker_bad == 0, "the writer found %llu pages changed behind its back", (unsigned long long)worker_bad);
	zdtm_check(backwards == 0, "the cursor went back %llu times", (unsigned long long)backwards);
	zdtm_check(wrong == 0, "%llu pages inconsistent with the cursor", (unsigned long long)wrong);
	zdtm_check(c >= last + 64, "the sweep did not go on after the last restore");
	zdtm_check(pass > (at_ready >> 32), "no pass completed after zdtm_ready");
	zdtm_finish();
}
