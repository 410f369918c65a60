/*
 * shm_cow_private: private memory inherited through fork and changed on both sides.
 *
 * State: the root fills a 4 MiB private anonymous region (1024 pages) with pattern 10 and
 * forks C. Afterwards C rewrites every page with index % 4 == 1 with pattern 11, the root
 * every page with index % 4 == 2 with pattern 12; pages % 4 == 0 are untouched by both
 * (still copy-on-write shared) and pages % 4 == 3 were zeroed by both.
 * Check after SIGTERM: the root verifies every page against what it alone wrote, rewrites
 * all of them with pattern 13 and verifies again; then C, sent SIGTERM, verifies every page
 * against its own version (so data of the other side, before or after the rewrite, is
 * caught). How many of the root's untouched pages are still shared with C (pagemap
 * "exclusively mapped" bit clear) is logged, not checked.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 1024
#define PG 4096
#define LEN (PAGES * PG)

static uint8_t *mem;

/* What page i holds for the root (who = 0) or the child (who = 1), as a pattern seed; 0: zeros. */
static uint64_t expected_seed(int who, int i, int rewritten)
{
	if (!who && rewritten)
		return 13;
	switch (i % 4) {
	case 0:
		return 10;
	case 1:
		return who ? 11 : 10;
	case 2:
		return who ? 10 : 12;
	default:
		return 0;
	}
}

static void modify(int who)
{
	int i;
	for (i = 0; i < PAGES; i++) {
		if (i % 4 == (who ? 1 : 2))
			zdtm_fill_at(mem + i * PG, PG, who ? 11 : 12, (uint64_t)i * PG);
		if (i % 4 == 3)
			memset(mem + i * PG, 0, PG);
	}
}

static int verify(int who, int rewritten, const char *name)
{
	int i, bad = 0;
	for (i = 0; i < PAGES; i++) {
		uint64_t seed = expected_seed(who, i, rewritten);
		ssize_t off = seed ? zdtm_verify_at(mem + i * PG, PG, seed, (uint64_t)i * PG)
				   : zdtm_find_nonzero(mem + i * PG, PG);
		if (off >= 0 && !bad++)
			zdtm_check(0, "%s: page %d differs at %zd (expected %s %llu)", name, i, off,
				   seed ? "pattern" : "zeros", (unsigned long long)seed);
	}
	if (bad > 1)
		zdtm_check(0, "%s: %d pages differ in all", name, bad);
	return bad;
}

static int shared_untouched(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY), i, n = 0;
	uint64_t e;
	if (fd < 0)
		return -1;
	for (i = 0; i < PAGES; i += 4)
		if (pread(fd, &e, 8, ((uintptr_t)(mem + i * PG) / PG) * 8) == 8 && (e >> 63) && !(e & (1ULL << 56)))
			n++;
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	int done[2], st = 0;
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	mem = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || pipe(done))
		zdtm_fail("mmap/pipe: %m");
	zdtm_fill(mem, LEN, 10);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		modify(1);
		if (write(done[1], "c", 1) != 1)
			_exit(3);
		close(done[0]);
		close(done[1]);
		zdtm_wait_for_term();
		/* the root has rewritten all of its copy by now */
		verify(1, 0, "child");
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(done[1]);
	modify(0);
	{
		struct pollfd pfd = { done[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(done[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(done[0]);
	zdtm_log("poke %p", mem + 6 * PG + 100);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_log("root: %d of %d untouched pages still shared", shared_untouched(), PAGES / 4);
	verify(0, 0, "root");
	zdtm_fill(mem, LEN, 13);
	verify(0, 1, "root after its rewrite");
	kill(c, SIGTERM);
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "child ended with %#x", st);
	zdtm_finish();
}
