/*
 * memfd_mapped_shared: one memfd mapped MAP_SHARED by a parent and its child.
 *
 * State: the root makes memfd "amber-shared" (MFD_ALLOW_SEALING, 64 KiB), maps it rw
 * shared (S), writes pages 0-7 with pattern 31 and forks C. C writes pages 8-15 (but the
 * last 64 bytes) with pattern 32 through the inherited S, maps the memfd a second time
 * read-only (R) and closes its fd: C holds the memfd through mappings only. The root seals
 * it F_SEAL_SHRINK | F_SEAL_GROW and leaves its fd at offset 777.
 * Check after SIGTERM: both see patterns 31 and 32 through S, C through R as well; the
 * root's fd reads "/memfd:amber-shared (deleted)", size 64 KiB, those seals exactly, offset
 * 777, pread gives the patterns; C's S and R and the root's S are the root's memfd (same
 * inode in /proc/self/maps as its fstat, rw-s and r--s), not copies: the root writes a token
 * through S, C sees it through S and R and answers through S, and the root sees the answer
 * through S and through pread() of its fd.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define LEN (16 * PG)
#define TOKEN_OFF (LEN - 64)
/* C reports the inode of its mappings here (after restore) for the root to compare. */
#define INO_OFF (LEN - 32)

static uint8_t *S, *R;

static void check_view(const char *who, const uint8_t *m)
{
	ssize_t off = zdtm_verify(m, 8 * PG, 31);
	zdtm_check(off < 0, "%s: pages 0-7 differ at %zd", who, off);
	off = zdtm_verify_at(m + 8 * PG, 8 * PG - 64, 32, 8 * PG);
	zdtm_check(off < 0, "%s: pages 8-15 differ at %zd", who, off);
}

static int wait_for(volatile uint64_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 5000 && *p != v; i++)
		zdtm_sleep_ms(1);
	return *p == v;
}

/* The inode of the mapping at addr, after checking its perms and path. */
static unsigned long long map_inode(const char *who, void *addr, const char *perms)
{
	struct zdtm_map m;
	if (!zdtm_check(zdtm_find_map(addr, &m) == 0, "%s: no mapping at %p", who, addr))
		return 0;
	zdtm_check(!strcmp(m.perms, perms) && !strcmp(m.path, "/memfd:amber-shared (deleted)"),
		   "%s: mapping at %p is %s %s", who, addr, m.perms, m.path);
	return m.inode;
}

int main(int argc, char **argv)
{
	char lp[64], link[256];
	struct stat st;
	int fd, p[2], status = 0;
	uint8_t *buf;
	ssize_t n;
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	fd = memfd_create("amber-shared", MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, LEN) || pipe(p))
		zdtm_fail("memfd: %m");
	S = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (S == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(S, 8 * PG, 31);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		unsigned long long is, ir;
		zdtm_fill_at(S + 8 * PG, 8 * PG - 64, 32, 8 * PG);
		R = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);
		if (R == MAP_FAILED)
			_exit(3);
		close(fd);
		if (write(p[1], "c", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check_view("C: S", S);
		check_view("C: R", R);
		is = map_inode("C: S", S, "rw-s");
		ir = map_inode("C: R", R, "r--s");
		zdtm_check(is == ir, "C: S is inode %llu, R %llu", is, ir);
		*(volatile uint64_t *)(S + INO_OFF) = is;
		zdtm_check(wait_for((volatile uint64_t *)(S + TOKEN_OFF), 0x1234), "C: the root's token never showed up in S");
		zdtm_check(*(volatile uint64_t *)(R + TOKEN_OFF) == 0x1234, "C: the root's token is not in R");
		*(volatile uint64_t *)(S + TOKEN_OFF + 8) = 0x5678;
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) || lseek(fd, 777, SEEK_SET) != 777)
		zdtm_fail("seal/lseek: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c, SIGTERM);
	check_view("R: S", S);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	zdtm_check(!strcmp(link, "/memfd:amber-shared (deleted)"), "link %s", link);
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == LEN, "size %lld", (long long)st.st_size);
	zdtm_check(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "seals %#x", fcntl(fd, F_GET_SEALS));
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 777, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	errno = 0;
	zdtm_check(ftruncate(fd, LEN * 2) == -1 && errno == EPERM, "growing the sealed memfd worked (%m)");
	zdtm_check(map_inode("R: S", S, "rw-s") == st.st_ino, "the root's S is not its memfd (inode %llu)", (unsigned long long)st.st_ino);
	buf = xmalloc(LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN, "pread: %m");
	check_view("the fd", buf);
	*(volatile uint64_t *)(S + TOKEN_OFF) = 0x1234;
	zdtm_check(wait_for((volatile uint64_t *)(S + TOKEN_OFF + 8), 0x5678), "C's answer never showed up in S");
	zdtm_check(pread(fd, buf, 16, TOKEN_OFF) == 16 && ((uint64_t *)buf)[0] == 0x1234 && ((uint64_t *)buf)[1] == 0x5678,
		   "the token and answer are not in the memfd");
	zdtm_check(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 42, "C ended with %#x", status);
	zdtm_check(*(volatile uint64_t *)(S + INO_OFF) == st.st_ino, "C maps inode %llu, the root's memfd is %llu",
		   (unsigned long long)*(volatile uint64_t *)(S + INO_OFF), (unsigned long long)st.st_ino);
	zdtm_finish();
}
