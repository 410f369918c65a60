/*
 * shm_file_shared_fork: a MAP_SHARED file mapping inherited by a child, and a private one.
 *
 * State: a 64 KiB work file mapped MAP_SHARED rw by the root before it forks C (S); the
 * root wrote pages 0-7 of S with pattern 1, C pages 8-15 with pattern 2. C also maps the
 * file MAP_PRIVATE (V) and writes pattern 3 into its pages 0-3 (copies; the file keeps
 * pattern 1). The file's fd is closed: only the mappings hold it.
 * Check after SIGTERM: both tasks see patterns 1 and 2 in S, C sees pattern 3 in V's first
 * 4 pages and the file's pattern 1 in V's pages 4-7 (never written); pread() of the file (reopened by path) gives patterns 1 and 2 (V's writes never reached it); both map
 * S at the same address from the same inode, rw-s. Sharing still works both ways: the root
 * writes a token into S, C sees it and answers, and the answer is in the file too.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define LEN (16 * PG)
#define TOKEN_OFF (LEN - 64)

static uint8_t *S, *V;
static const char *path;

static void check_file_view(const char *who, const uint8_t *m)
{
	ssize_t off = zdtm_verify(m, 8 * PG, 1);
	zdtm_check(off < 0, "%s: pages 0-7 differ at %zd", who, off);
	off = zdtm_verify_at(m + 8 * PG, 8 * PG - 64, 2, 8 * PG);
	zdtm_check(off < 0, "%s: pages 8-15 differ at %zd", who, off);
}

static int wait_for(volatile uint64_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 5000 && *p != v; i++)
		zdtm_sleep_ms(1);
	return *p == v;
}

static void check_map(const char *who, void *addr, const char *perms, ino_t ino)
{
	struct zdtm_map m;
	zdtm_check(zdtm_find_map(addr, &m) == 0 && !strcmp(m.perms, perms) && m.inode == ino,
		   "%s: mapping at %p is %s inode %llu, expected %s %llu", who, addr, m.perms, m.inode, perms,
		   (unsigned long long)ino);
}

int main(int argc, char **argv)
{
	struct stat stt;
	int fd, p[2], st = 0;
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("map");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, LEN) || fstat(fd, &stt) || pipe(p))
		zdtm_fail("open/ftruncate %s: %m", path);
	S = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (S == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(S, 8 * PG, 1);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		zdtm_fill_at(S + 8 * PG, 8 * PG - 64, 2, 8 * PG);
		V = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (V == MAP_FAILED)
			_exit(3);
		zdtm_fill(V, 4 * PG, 3);
		close(fd);
		if (write(p[1], "c", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check_file_view("C: S", S);
		zdtm_check(zdtm_verify(V, 4 * PG, 3) < 0, "C: V's private pages differ");
		zdtm_check(zdtm_verify_at(V + 4 * PG, 4 * PG, 1, 4 * PG) < 0, "C: V's pages 4-7 differ from the file");
		check_map("C: S", S, "rw-s", stt.st_ino);
		check_map("C: V", V, "rw-p", stt.st_ino);
		zdtm_check(wait_for((volatile uint64_t *)(S + TOKEN_OFF), 0x1234), "C: the root's token never showed up");
		*(volatile uint64_t *)(S + TOKEN_OFF + 8) = 0x5678;
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(fd);
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c, SIGTERM);
	check_file_view("R: S", S);
	check_map("R: S", S, "rw-s", stt.st_ino);
	{
		uint8_t *buf = xmalloc(LEN);
		int f2 = open(path, O_RDONLY);
		zdtm_check(f2 >= 0 && pread(f2, buf, LEN, 0) == LEN, "cannot read %s back: %m", path);
		check_file_view("the file", buf);
		if (f2 >= 0)
			close(f2);
		*(volatile uint64_t *)(S + TOKEN_OFF) = 0x1234;
		zdtm_check(wait_for((volatile uint64_t *)(S + TOKEN_OFF + 8), 0x5678), "C's answer never showed up");
		f2 = open(path, O_RDONLY);
		msync(S, LEN, MS_SYNC);
		zdtm_check(f2 >= 0 && pread(f2, buf, 16, TOKEN_OFF) == 16 && ((uint64_t *)buf)[0] == 0x1234 &&
			   ((uint64_t *)buf)[1] == 0x5678, "the token and answer are not in the file");
	}
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C ended with %#x", st);
	zdtm_finish();
}
