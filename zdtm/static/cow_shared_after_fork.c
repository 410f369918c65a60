/*
 * cow_shared_after_fork: private memory a child inherited by fork and never wrote stays one
 * copy shared by parent and child (copy-on-write), as the kernel left it.
 * State: the parent fills 8 MiB of private anonymous memory with a pattern and forks; the child
 * overwrites one page (page 100) with its own pattern; the parent overwrites another (page 200).
 * Check after SIGTERM: every page has the right contents in both; both map the same physical
 * page (PFN in /proc/PID/pagemap) wherever neither wrote, and different ones at pages 100 and
 * 200; then the parent writes page 300 and the child must still see the old bytes there (the
 * sharing is copy-on-write, not shared memory). The child reports through a pipe and exits 42.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 2048
#define PG 4096
#define SEED 0xc0ffee
#define CHILD_PAGE 100
#define PARENT_PAGE 200
#define LATE_PAGE 300

static unsigned long long pfn_of(pid_t pid, const void *addr)
{
	char path[64];
	unsigned long long e = 0;
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (off_t)((unsigned long)addr / PG) * 8) != 8)
		e = 0;
	close(fd);
	if (!(e >> 63))
		return 0; /* not present */
	return e & ((1ULL << 55) - 1);
}

int main(int argc, char **argv)
{
	uint8_t *mem, c;
	int toc[2], top[2], st = 0, i, differ = 0, same = 0;
	pid_t child;

	zdtm_init(argc, argv);
	mem = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		zdtm_fail("mmap: %m");
	madvise(mem, PAGES * PG, MADV_NOHUGEPAGE);
	zdtm_fill(mem, PAGES * PG, SEED);
	if (pipe(toc) || pipe(top))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child == 0) {
		zdtm_fill(mem + CHILD_PAGE * PG, PG, SEED + 1);
		if (write(top[1], "r", 1) != 1)
			_exit(2);
		/* wait for the parent's word that the checkpoint is over and it has written page 300 */
		if (read(toc[0], &c, 1) != 1)
			_exit(3);
		for (i = 0; i < PAGES; i++) {
			if (i == CHILD_PAGE) {
				if (zdtm_verify(mem + i * PG, PG, SEED + 1) >= 0)
					_exit(4);
			} else if (zdtm_verify_at(mem + i * PG, PG, SEED, (uint64_t)i * PG) >= 0) {
				_exit(5); /* includes page 300: the parent's late write must not show */
			}
		}
		_exit(42);
	}
	if (read(top[0], &c, 1) != 1)
		zdtm_fail("the child did not report");
	zdtm_fill(mem + PARENT_PAGE * PG, PG, SEED + 2);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < PAGES; i++) {
		ssize_t bad = i == PARENT_PAGE ? zdtm_verify(mem + i * PG, PG, SEED + 2) : zdtm_verify_at(mem + i * PG, PG, SEED, (uint64_t)i * PG);
		if (!zdtm_check(bad < 0, "parent page %d differs at byte %zd", i, bad))
			break;
	}
	for (i = 0; i < PAGES; i++) {
		unsigned long long a = pfn_of(getpid(), mem + i * PG), b = pfn_of(child, mem + i * PG);
		if (!a || !b) {
			zdtm_check(0, "page %d not present (parent pfn %llx, child pfn %llx)", i, a, b);
			break;
		}
		if (i == CHILD_PAGE || i == PARENT_PAGE)
			differ += a != b;
		else
			same += a == b;
	}
	zdtm_check(differ == 2, "pages written by one of them share a physical page (%d of 2 differ)", differ);
	zdtm_check(same == PAGES - 2, "only %d of %d untouched pages are shared by parent and child", same, PAGES - 2);
	zdtm_fill(mem + LATE_PAGE * PG, PG, SEED + 3);
	zdtm_check(write(toc[1], "g", 1) == 1, "write to the child: %m");
	zdtm_check(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 42, "the child ended with status %#x (4: its own page, 5: a shared page differs)", st);
	zdtm_finish();
}
