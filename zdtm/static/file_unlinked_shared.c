/*
 * file_unlinked_shared: one unlinked file held by two processes, through an open file
 * description they share and one of the child's own.
 *
 * State: the root writes 4 pages of pattern 71 to a temp file, opens it O_RDWR (A), unlinks
 * it and forks C. C opens the file again through /proc/self/fd/A (B, its own open file
 * description, O_RDWR | O_APPEND), lseeks B to 2000 and A to 300 (A's offset is the root's
 * too).
 * Check after SIGTERM: the root sees A at offset 300, C sees A at 300 and B at 2000; both
 * see no links, size 4 pages and the pattern. Sharing still works: C writes "shared"
 * through B (appended at the end of the file), moves A to 400 and exits; the root then finds A at 400, the
 * size grown by 6 and "shared" at the old end through A, which is one file with B.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (4 * 4096)

static int check_file(const char *who, int fd)
{
	struct stat st;
	uint8_t *buf = xmalloc(SIZE);
	int ok = zdtm_check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0 && st.st_size == SIZE,
			    "%s: nlink %lu size %lld", who, (unsigned long)st.st_nlink, (long long)st.st_size);
	ok &= zdtm_check(pread(fd, buf, SIZE, 0) == SIZE && zdtm_verify(buf, SIZE, 71) < 0, "%s: contents differ", who);
	free(buf);
	return ok;
}

int main(int argc, char **argv)
{
	const char *path;
	int a, p[2], status = 0;
	uint8_t *buf;
	char tmp[16];
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("shared");
	buf = xmalloc(SIZE);
	zdtm_fill(buf, SIZE, 71);
	zdtm_write_file(path, buf, SIZE);
	a = open(path, O_RDWR);
	if (a < 0 || unlink(path) || pipe(p))
		zdtm_fail("set up %s: %m", path);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		char lp[64];
		int bfd;
		snprintf(lp, sizeof(lp), "/proc/self/fd/%d", a);
		bfd = open(lp, O_RDWR | O_APPEND);
		if (bfd < 0 || lseek(bfd, 2000, SEEK_SET) != 2000 || lseek(a, 300, SEEK_SET) != 300)
			_exit(3);
		if (write(p[1], "c", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check_file("C: A", a);
		check_file("C: B", bfd);
		zdtm_check(lseek(a, 0, SEEK_CUR) == 300, "C: A at %lld", (long long)lseek(a, 0, SEEK_CUR));
		zdtm_check(lseek(bfd, 0, SEEK_CUR) == 2000, "C: B at %lld", (long long)lseek(bfd, 0, SEEK_CUR));
		zdtm_check((fcntl(bfd, F_GETFL) & (O_ACCMODE | O_APPEND)) == (O_RDWR | O_APPEND), "C: B's flags %#x", fcntl(bfd, F_GETFL));
		zdtm_check(write(bfd, "shared", 6) == 6, "C: write through B: %m");
		zdtm_check(lseek(a, 400, SEEK_SET) == 400, "C: lseek A: %m");
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	check_file("R: A", a);
	zdtm_check(lseek(a, 0, SEEK_CUR) == 300, "R: A at %lld", (long long)lseek(a, 0, SEEK_CUR));
	kill(c, SIGTERM);
	zdtm_check(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 42, "C ended with %#x", status);
	zdtm_check(lseek(a, 0, SEEK_CUR) == 400, "R: A at %lld after C moved it (not shared?)", (long long)lseek(a, 0, SEEK_CUR));
	{
		struct stat st;
		memset(tmp, 0, sizeof(tmp));
		zdtm_check(fstat(a, &st) == 0 && st.st_size == SIZE + 6, "R: size %lld after C's append", (long long)st.st_size);
		zdtm_check(pread(a, tmp, 6, SIZE) == 6 && !memcmp(tmp, "shared", 6), "R: C's write through B is not in A's file");
	}
	zdtm_finish();
}
