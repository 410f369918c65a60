/*
 * shm_unlinked_map: mappings of files that were unlinked while mapped.
 *
 * State: a POSIX shared memory object (shm_open, 64 KiB) mapped MAP_SHARED as S, then a
 * child forked; the root wrote pattern 1 into the first half of S, the child pattern 2
 * into the second; then the object was shm_unlink'ed and its fd closed, so only the two
 * mappings hold it (/proc/self/maps reads "/dev/shm/NAME (deleted)"). Also a file of the
 * test's folder (32 KiB, pattern 3) mapped MAP_PRIVATE as P in the root, its page 2
 * changed (a private copy, pattern 4), then the file unlinked and closed.
 * Check after SIGTERM: S holds both patterns in both tasks, is rw-s and named
 * "/dev/shm/NAME (deleted)", the same object in both (the inode /proc/self/maps shows), and
 * still shared: a token written by the root is seen by the child, which answers; the name
 * is not in /dev/shm again. P is rw-p "... (deleted)", its page 2 has the private copy and
 * the other pages the file's data, and writing P changes nothing else.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (64 * 1024)
#define HALF (LEN / 2)
#define TOK (LEN - 64)
#define PG 4096
#define PLEN (8 * PG)

static uint8_t *S, *P;
static char name[64], shmpath[128], ppath[4096];

static int wait_for(volatile uint64_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 5000 && *p != v; i++)
		zdtm_sleep_ms(1);
	return *p == v;
}

static unsigned long long check_map(const char *who, void *addr, const char *perms, const char *path)
{
	char want[4200];
	struct zdtm_map m;

	snprintf(want, sizeof(want), "%s (deleted)", path);
	if (!zdtm_check(zdtm_find_map(addr, &m) == 0, "%s: nothing mapped at %p", who, addr))
		return 0;
	zdtm_check(!strcmp(m.perms, perms) && !strcmp(m.path, want), "%s: %p is %s '%s', expected %s '%s'", who, addr,
		   m.perms, m.path, perms, want);
	return m.inode;
}

static void check_s(const char *who)
{
	ssize_t off = zdtm_verify(S, HALF, 1);
	zdtm_check(off < 0, "%s: S first half differs at %zd", who, off);
	off = zdtm_verify_at(S + HALF, HALF - 64, 2, HALF);
	zdtm_check(off < 0, "%s: S second half differs at %zd", who, off);
}

int main(int argc, char **argv)
{
	unsigned long long ino;
	int fd, p[2], st = 0, i;
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	snprintf(name, sizeof(name), "/zdtm-unl.%d", getpid());
	snprintf(shmpath, sizeof(shmpath), "/dev/shm%s", name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || ftruncate(fd, LEN))
		zdtm_fail("shm_open %s: %m", name);
	S = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (S == MAP_FAILED)
		zdtm_fail("mmap: %m");
	close(fd);
	zdtm_fill(S, HALF, 1);

	snprintf(ppath, sizeof(ppath), "%s", zdtm_tmp_path("private"));
	{
		uint8_t *buf = xmalloc(PLEN);
		zdtm_fill(buf, PLEN, 3);
		zdtm_write_file(ppath, buf, PLEN);
	}
	fd = open(ppath, O_RDONLY);
	P = fd < 0 ? MAP_FAILED : mmap(NULL, PLEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (P == MAP_FAILED)
		zdtm_fail("mmap %s: %m", ppath);
	close(fd);
	zdtm_fill_at(P + 2 * PG, PG, 4, 2 * PG);
	if (unlink(ppath))
		zdtm_fail("unlink: %m");

	if (pipe(p))
		zdtm_fail("pipe: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		zdtm_fill_at(S + HALF, HALF - 64, 2, HALF);
		close(p[0]);
		if (write(p[1], "c", 1) != 1)
			_exit(3);
		close(p[1]);
		zdtm_wait_for_term();
		check_s("child");
		*(volatile unsigned long long *)(S + TOK + 16) = check_map("child", S, "rw-s", shmpath);
		zdtm_check(wait_for((volatile uint64_t *)(S + TOK), 0x1234), "child: no token from the root");
		*(volatile uint64_t *)(S + TOK + 8) = 0x5678;
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);
	if (shm_unlink(name))
		zdtm_fail("shm_unlink: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c, SIGTERM);
	check_s("root");
	ino = check_map("root", S, "rw-s", shmpath);
	check_map("root", P, "rw-p", ppath);
	for (i = 0; i < 8; i++) {
		ssize_t off = i == 2 ? zdtm_verify_at(P + i * PG, PG, 4, i * PG) : zdtm_verify_at(P + i * PG, PG, 3, i * PG);
		zdtm_check(off < 0, "P page %d differs at %zd", i, off);
	}
	*(volatile uint64_t *)(S + TOK) = 0x1234;
	zdtm_check(wait_for((volatile uint64_t *)(S + TOK + 8), 0x5678), "root: no answer from the child");
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "child ended with %#x", st);
	zdtm_check(*(volatile unsigned long long *)(S + TOK + 16) == ino, "the child maps object %llu, the root %llu",
		   *(volatile unsigned long long *)(S + TOK + 16), ino);
	zdtm_check(access(shmpath, F_OK) != 0, "%s exists again", shmpath);
	zdtm_check(access(ppath, F_OK) != 0, "%s exists again", ppath);
	memset(P, 0x55, PLEN);
	zdtm_check(*(volatile uint64_t *)(S + TOK) == 0x1234, "writing P changed S");
	zdtm_finish();
}
