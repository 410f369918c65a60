/*
 * shm_devshm_devzero: a MAP_SHARED mapping of a file under /dev/shm and a MAP_SHARED
 * mapping of /dev/zero, both inherited by a child.
 *
 * State: /dev/shm/zdtm-devshm.<pid> (64 KiB, its fd closed: only the mappings hold it)
 * mapped shared as A, and /dev/zero mapped shared as Z (64 KiB). The root wrote pattern 1
 * into the first half of each, the child pattern 2 into the second half after the fork.
 * Check after SIGTERM, in both tasks: both halves of A and Z hold their patterns; A is
 * rw-s of the /dev/shm file's inode, Z rw-s of one and the same object in both tasks (the
 * inode /proc/self/maps shows, which a restore may renumber); the file read by path has A's data. Sharing still works
 * both ways in each mapping: the root writes a token, the child sees it and answers, the
 * root sees the answer.
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

static uint8_t *A, *Z;

static void check_view(const char *who, const char *what, const uint8_t *m)
{
	ssize_t off = zdtm_verify(m, HALF, 1);
	zdtm_check(off < 0, "%s: %s first half differs at %zd", who, what, off);
	off = zdtm_verify_at(m + HALF, HALF - 64, 2, HALF);
	zdtm_check(off < 0, "%s: %s second half differs at %zd", who, what, off);
}

static int wait_for(volatile uint64_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 5000 && *p != v; i++)
		zdtm_sleep_ms(1);
	return *p == v;
}

static unsigned long long map_inode(const char *who, void *addr, const char *path_prefix)
{
	struct zdtm_map m;
	if (!zdtm_check(zdtm_find_map(addr, &m) == 0, "%s: nothing mapped at %p", who, addr))
		return 0;
	zdtm_check(!strcmp(m.perms, "rw-s"), "%s: %p is %s, expected rw-s", who, addr, m.perms);
	zdtm_check(!strncmp(m.path, path_prefix, strlen(path_prefix)), "%s: %p maps '%s', expected %s...", who, addr,
		   m.path, path_prefix);
	return m.inode;
}

static void tokens(const char *who, int root)
{
	uint8_t *maps[2] = { A, Z };
	int i;
	for (i = 0; i < 2; i++) {
		volatile uint64_t *t = (volatile uint64_t *)(maps[i] + TOK);
		if (root) {
			t[0] = 0x1111 + i;
			zdtm_check(wait_for(&t[1], 0x2222 + i), "%s: no answer in mapping %d", who, i);
		} else {
			zdtm_check(wait_for(&t[0], 0x1111 + i), "%s: no token in mapping %d", who, i);
			t[1] = 0x2222 + i;
		}
	}
}

int main(int argc, char **argv)
{
	char path[128];
	unsigned long long zino, zino_child;
	struct stat fst;
	int fd, zfd, p[2], st = 0;
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	snprintf(path, sizeof(path), "/dev/shm/zdtm-devshm.%d", getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	zfd = open("/dev/zero", O_RDWR);
	if (fd < 0 || zfd < 0 || ftruncate(fd, LEN) || fstat(fd, &fst) || pipe(p))
		zdtm_fail("setting up %s: %m", path);
	A = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	Z = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
	if (A == MAP_FAILED || Z == MAP_FAILED)
		zdtm_fail("mmap: %m");
	close(fd);
	close(zfd);
	zdtm_fill(A, HALF, 1);
	zdtm_fill(Z, HALF, 1);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		zdtm_fill_at(A + HALF, HALF - 64, 2, HALF);
		zdtm_fill_at(Z + HALF, HALF - 64, 2, HALF);
		close(p[0]);
		if (write(p[1], "c", 1) != 1)
			_exit(3);
		close(p[1]);
		zdtm_wait_for_term();
		check_view("child", "/dev/shm", A);
		check_view("child", "/dev/zero", Z);
		zdtm_check(map_inode("child", A, path) == fst.st_ino, "child: A is not the /dev/shm file");
		zino_child = map_inode("child", Z, "/dev/zero");
		/* The root compares it with its own: passed through A. */
		*(volatile unsigned long long *)(A + TOK + 16) = zino_child;
		tokens("child", 0);
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);
	zino = map_inode("root", Z, "/dev/zero");

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c, SIGTERM);
	check_view("root", "/dev/shm", A);
	check_view("root", "/dev/zero", Z);
	zdtm_check(map_inode("root", A, path) == fst.st_ino, "root: A is not the /dev/shm file");
	/* A new shared memory object at each restore has a new inode number: only sameness counts. */
	zino = map_inode("root", Z, "/dev/zero");
	{
		uint8_t *buf = xmalloc(LEN);
		int f2 = open(path, O_RDONLY);
		zdtm_check(f2 >= 0 && pread(f2, buf, LEN, 0) == LEN, "cannot read %s back: %m", path);
		check_view("the file", "/dev/shm", buf);
		if (f2 >= 0)
			close(f2);
	}
	tokens("root", 1);
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "child ended with %#x", st);
	zdtm_check(*(volatile unsigned long long *)(A + TOK + 16) == zino,
		   "the child's Z is object %llu, the root's %llu", *(volatile unsigned long long *)(A + TOK + 16), zino);
	unlink(path);
	zdtm_finish();
}
