/*
 * file_shared_by_tree: one open file description shared by a parent and its children.
 *
 * State: the root R opens a work file O_RDWR (fd F) and another O_WRONLY|O_APPEND (fd A),
 * writes a 100-byte header through F, then forks C1 and C2. C1 writes 300 pattern bytes
 * through F (moving the offset all three share to 400); C2 opens the same file again on its
 * own (fd P, offset 50) after the fork.
 * Check after SIGTERM: in every task F's offset is 400 and A's flags include O_APPEND;
 * kcmp(KCMP_FILE) says R's F is the same description as C1's and C2's F and A, and C2's P
 * is another one (P at offset 50). Sharing still works: C1 writes 20 more bytes through F;
 * afterwards R's offset is 420 and C2's too, and the file holds header + 300 + 20 bytes in
 * order. C2's P is still at 50. Children exit 42.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KCMP_FILE_ 0

static int F, A, P = -1;

static long kcmp_file(pid_t p1, pid_t p2, int fd1, int fd2)
{
	return syscall(SYS_kcmp, p1, p2, KCMP_FILE_, fd1, fd2);
}

static int wait_child(pid_t pid, int *st)
{
	int i;
	for (i = 0; i < 1000; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return 0;
		zdtm_sleep_ms(10);
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[1024], *want;
	pid_t me, c1, c2;
	int p[2], i, st = 0;
	char b;

	zdtm_init(argc, argv);
	me = getpid();
	path = zdtm_tmp_path("data");
	F = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	A = open(path, O_WRONLY | O_APPEND);
	if (F < 0 || A < 0 || pipe(p))
		zdtm_fail("open %s: %m", path);
	zdtm_fill(buf, 100, 1);
	if (write(F, buf, 100) != 100)
		zdtm_fail("write: %m");

	if ((c1 = fork()) == 0) {
		zdtm_fill_at(buf, 300, 2, 100);
		if (write(F, buf, 300) != 300 || write(p[1], "1", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		zdtm_check(lseek(F, 0, SEEK_CUR) == 400, "C1: offset %lld, expected 400", (long long)lseek(F, 0, SEEK_CUR));
		zdtm_check(fcntl(A, F_GETFL) & O_APPEND, "C1: A lost O_APPEND");
		zdtm_fill_at(buf, 20, 3, 400);
		zdtm_check(write(F, buf, 20) == 20, "C1: write: %m");
		_exit(zdtm_failures() ? 1 : 42);
	}
	if ((c2 = fork()) == 0) {
		P = open(path, O_RDONLY);
		if (P < 0 || lseek(P, 50, SEEK_SET) != 50 || write(p[1], "2", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		zdtm_check(lseek(P, 0, SEEK_CUR) == 50, "C2: own fd offset %lld, expected 50",
			   (long long)lseek(P, 0, SEEK_CUR));
		zdtm_check(kcmp_file(getpid(), getpid(), F, P) != 0, "C2: its own fd is the shared description");
		/* C1 writes 20 more bytes meanwhile: our shared offset must follow */
		for (i = 0; i < 500 && lseek(F, 0, SEEK_CUR) != 420; i++)
			zdtm_sleep_ms(10);
		zdtm_check(lseek(F, 0, SEEK_CUR) == 420, "C2: offset %lld after C1's write, expected 420",
			   (long long)lseek(F, 0, SEEK_CUR));
		_exit(zdtm_failures() ? 1 : 42);
	}
	if (c1 < 0 || c2 < 0)
		zdtm_fail("fork: %m");
	close(p[1]);
	for (i = 0; i < 2; i++) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("a child did not report");
	}
	close(p[0]);
	if (lseek(F, 0, SEEK_CUR) != 400)
		zdtm_fail("offset %lld before the checkpoint", (long long)lseek(F, 0, SEEK_CUR));

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(lseek(F, 0, SEEK_CUR) == 400, "R: offset %lld, expected 400", (long long)lseek(F, 0, SEEK_CUR));
	zdtm_check((fcntl(F, F_GETFL) & O_ACCMODE) == O_RDWR, "R: F is not O_RDWR");
	zdtm_check((fcntl(A, F_GETFL) & (O_ACCMODE | O_APPEND)) == (O_WRONLY | O_APPEND), "R: A flags %#x",
		   fcntl(A, F_GETFL));
	zdtm_check(kcmp_file(me, c1, F, F) == 0, "R's and C1's F are different descriptions (kcmp %ld)",
		   kcmp_file(me, c1, F, F));
	zdtm_check(kcmp_file(me, c2, F, F) == 0, "R's and C2's F are different descriptions (kcmp %ld)",
		   kcmp_file(me, c2, F, F));
	zdtm_check(kcmp_file(me, c2, A, A) == 0, "R's and C2's A are different descriptions");
	zdtm_check(kcmp_file(me, me, F, A) != 0, "F and A became one description");
	kill(c2, SIGTERM);
	kill(c1, SIGTERM);
	zdtm_check(wait_child(c1, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C1 ended with %#x", st);
	st = 0;
	zdtm_check(wait_child(c2, &st) == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 42, "C2 ended with %#x", st);
	zdtm_check(lseek(F, 0, SEEK_CUR) == 420, "R: offset %lld after C1's write, expected 420",
		   (long long)lseek(F, 0, SEEK_CUR));
	want = xmalloc(420);
	zdtm_fill(want, 100, 1);
	zdtm_fill_at(want + 100, 300, 2, 100);
	zdtm_fill_at(want + 400, 20, 3, 400);
	zdtm_check(pread(F, buf, sizeof(buf), 0) == 420 && !memcmp(buf, want, 420), "file contents differ");
	zdtm_finish();
}
