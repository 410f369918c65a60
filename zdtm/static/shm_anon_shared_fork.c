/*
 * shm_anon_shared_fork: MAP_SHARED|MAP_ANONYMOUS memory shared across a tree.
 *
 * State:
 *   X, 1 MiB, mapped by the root R before forking C1 and C2: R wrote the first 256 KiB with
 *   pattern 1, C1 the second quarter with pattern 2, C2 the third with pattern 3; the last
 *   quarter is untouched (zero).
 *   Y, 64 KiB, mapped by R before forking C1, then unmapped by R: shared by C1 and its child
 *   G only; C1 wrote pattern 4, G's writes must be visible to C1.
 *   Z, 16 KiB mapped by C2 alone after the fork (shared with nobody): pattern 5.
 * Check after SIGTERM: every task verifies the whole of X (three patterns and the zero
 * quarter); the mappings are still rw-s; R, C1 and C2 map X at the same address and /proc
 * shows the same shmem inode for it in all three, and Y's inode is the same in C1 and G.
 * Sharing still works: R writes a token into X's last quarter, C1 and C2 must see it and
 * answer in their own slot; G answers through Y and C1 must see it. Each child exits 42.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define XLEN (1 << 20)
#define Q (XLEN / 4)
#define YLEN (64 << 10)
#define ZLEN (16 << 10)

static uint8_t *X, *Y, *Z;
/* Slots in X's last quarter, after the zero area that is checked. */
#define SLOT(i) ((volatile uint64_t *)(X + XLEN - 4096 + 64 * (i)))
#define YSLOT ((volatile uint64_t *)(Y + YLEN - 64))

static int wait_for(volatile uint64_t *p, uint64_t v, int ms)
{
	int i;
	for (i = 0; i < ms && *p != v; i++)
		zdtm_sleep_ms(1);
	return *p == v;
}

/* The inode of the mapping at addr in /proc/PID/maps, or 0. */
static unsigned long long map_inode(pid_t pid, void *addr, char *perms)
{
	char path[64], line[512];
	unsigned long long ino = 0;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;
		char pm[8];
		unsigned long long i;
		if (sscanf(line, "%lx-%lx %7s %*s %*s %llu", &s, &e, pm, &i) == 4 && (unsigned long)addr >= s &&
		    (unsigned long)addr < e) {
			ino = i;
			if (perms)
				strcpy(perms, pm);
			break;
		}
	}
	fclose(f);
	return ino;
}

static void check_x(const char *who)
{
	ssize_t off;
	int k;
	for (k = 0; k < 3; k++) {
		off = zdtm_verify_at(X + k * Q, Q, k + 1, k * Q);
		zdtm_check(off < 0, "%s: X quarter %d differs at %zd", who, k, off);
	}
	off = zdtm_find_nonzero(X + 3 * Q, Q - 4096);
	zdtm_check(off < 0, "%s: X's zero quarter has data at %zd", who, off);
	zdtm_check(zdtm_range_perms(X, XLEN, "rw-s") == 0, "%s: X is not rw-s", who);
}

static pid_t xfork(void)
{
	pid_t p = fork();
	if (p < 0)
		zdtm_fail("fork: %m");
	return p;
}

int main(int argc, char **argv)
{
	pid_t me, c1, c2, g = 0;
	int p[2], i, st;
	char b;

	zdtm_init(argc, argv);
	me = getpid();
	X = mmap(NULL, XLEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	Y = mmap(NULL, YLEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (X == MAP_FAILED || Y == MAP_FAILED || pipe(p))
		zdtm_fail("mmap/pipe: %m");
	zdtm_fill(X, Q, 1);

	if ((c1 = xfork()) == 0) {
		zdtm_fill_at(X + Q, Q, 2, Q);
		zdtm_fill(Y, YLEN - 64, 4);
		if ((g = fork()) == 0) {
			if (write(p[1], "g", 1) != 1)
				_exit(3);
			close(p[0]);
			close(p[1]);
			zdtm_wait_for_term();
			check_x("G");
			zdtm_check(zdtm_verify(Y, YLEN - 64, 4) < 0, "G: Y differs");
			*YSLOT = 0x6666;
			_exit(zdtm_failures() ? 1 : 42);
		}
		if (g < 0 || write(p[1], "1", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check_x("C1");
		zdtm_check(zdtm_verify(Y, YLEN - 64, 4) < 0, "C1: Y differs");
		zdtm_check(map_inode(getpid(), Y, NULL) == map_inode(g, Y, NULL) && map_inode(g, Y, NULL),
			   "C1 and G map Y from different objects (inodes %llu, %llu)", map_inode(getpid(), Y, NULL),
			   map_inode(g, Y, NULL));
		zdtm_check(wait_for(SLOT(0), 0x7777, 5000), "C1: R's token never showed up in X");
		*SLOT(1) = 0x1111;
		kill(g, SIGTERM);
		zdtm_check(wait_for(YSLOT, 0x6666, 5000), "C1: G's answer never showed up in Y");
		st = 0;
		zdtm_check(waitpid(g, &st, 0) == g && WIFEXITED(st) && WEXITSTATUS(st) == 42, "G ended with %#x", st);
		_exit(zdtm_failures() ? 1 : 42);
	}
	munmap(Y, YLEN);
	if ((c2 = xfork()) == 0) {
		zdtm_fill_at(X + 2 * Q, Q, 3, 2 * Q);
		Z = mmap(NULL, ZLEN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (Z == MAP_FAILED)
			_exit(3);
		zdtm_fill(Z, ZLEN, 5);
		if (write(p[1], "2", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check_x("C2");
		zdtm_check(zdtm_verify(Z, ZLEN, 5) < 0, "C2: Z differs");
		zdtm_check(zdtm_range_perms(Z, ZLEN, "rw-s") == 0, "C2: Z is not rw-s");
		zdtm_check(wait_for(SLOT(0), 0x7777, 5000), "C2: R's token never showed up in X");
		*SLOT(2) = 0x2222;
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	for (i = 0; i < 3; i++) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("only %d tasks reported", i);
	}
	close(p[0]);
	zdtm_log("poke %p", X + Q / 2);

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c1, SIGTERM);
	kill(c2, SIGTERM);
	check_x("R");
	{
		unsigned long long i0 = map_inode(me, X, NULL), i1 = map_inode(c1, X, NULL), i2 = map_inode(c2, X, NULL);
		zdtm_check(i0 && i0 == i1 && i0 == i2, "X is mapped from different objects: inodes %llu %llu %llu", i0,
			   i1, i2);
	}
	*SLOT(0) = 0x7777;
	zdtm_check(wait_for(SLOT(1), 0x1111, 5000), "C1's answer never showed up in X");
	zdtm_check(wait_for(SLOT(2), 0x2222, 5000), "C2's answer never showed up in X");
	st = 0;
	zdtm_check(waitpid(c1, &st, 0) == c1 && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C1 ended with %#x", st);
	st = 0;
	zdtm_check(waitpid(c2, &st, 0) == c2 && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C2 ended with %#x", st);
	zdtm_finish();
}
