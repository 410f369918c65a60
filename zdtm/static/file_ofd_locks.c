/*
 * file_ofd_locks: open file description locks (F_OFD_SETLK), restored with --file-locks.
 *
 * State: a work file of 500 pattern bytes open O_RDWR (fd D); through D an OFD write lock
 * on bytes 100-149 and an OFD read lock on bytes 300-399.
 * Check after SIGTERM: D is still the file, data intact; /proc/locks has exactly two locks
 * on the inode: "OFDLCK ADVISORY WRITE -1 100 149" and "OFDLCK ADVISORY READ -1 300 399";
 * D itself sees no conflict (F_OFD_GETLK for a write lock over everything: F_UNLCK);
 * another description opened by the test itself does conflict (so these are OFD locks,
 * not POSIX locks of the process): F_OFD_GETLK reports F_WRLCK 100+50 with l_pid -1; a
 * forked child with its own description gets F_WRLCK 100+50 (l_pid -1) for a write lock
 * over 100-149, F_RDLCK 300+100 for a write lock over 300-399, nothing for a read lock
 * over 300-399 nor for 150-299 and 400-EOF, and EAGAIN from F_OFD_SETLK read on 100-149.
 * The locks belong to D: after D unlocks 100-149 the child's write lock there succeeds
 * and 300-399 still conflicts.
 */
#include "zdtm.h"
#include "lock_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN 500

static const char *tname(int t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static int setlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* F_OFD_GETLK for a lock of `type` over start+len must report want (type, start, len, l_pid -1). */
static void expect_getlk(int fd, short type, off_t start, off_t len, short want, off_t wstart, off_t wlen)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (!zdtm_check(fcntl(fd, F_OFD_GETLK, &fl) == 0, "F_OFD_GETLK %lld+%lld: %m", (long long)start, (long long)len))
		return;
	if (want == F_UNLCK) {
		zdtm_check(fl.l_type == F_UNLCK, "F_OFD_GETLK %s over %lld+%lld: a conflicting %s at %lld+%lld",
			   tname(type), (long long)start, (long long)len, tname(fl.l_type), (long long)fl.l_start,
			   (long long)fl.l_len);
		return;
	}
	zdtm_check(fl.l_type == want && fl.l_start == wstart && fl.l_len == wlen && fl.l_pid == -1,
		   "F_OFD_GETLK over %lld+%lld: %s %lld+%lld pid %d, expected %s %lld+%lld pid -1",
		   (long long)start, (long long)len, tname(fl.l_type), (long long)fl.l_start, (long long)fl.l_len,
		   fl.l_pid, tname(want), (long long)wstart, (long long)wlen);
}

static int run_child(const char *path, int phase)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		zdtm_fail("fork: %m");
	if (pid == 0) {
		int before = zdtm_failures();
		int fd = open(path, O_RDWR);
		if (!zdtm_check(fd >= 0, "child: open %s: %m", path))
			_exit(1);
		if (phase == 0) {
			expect_getlk(fd, F_WRLCK, 100, 50, F_WRLCK, 100, 50);
			expect_getlk(fd, F_RDLCK, 120, 1, F_WRLCK, 100, 50);
			expect_getlk(fd, F_WRLCK, 300, 100, F_RDLCK, 300, 100);
			expect_getlk(fd, F_RDLCK, 300, 100, F_UNLCK, 0, 0);
			expect_getlk(fd, F_WRLCK, 150, 150, F_UNLCK, 0, 0);
			expect_getlk(fd, F_WRLCK, 0, 100, F_UNLCK, 0, 0);
			expect_getlk(fd, F_WRLCK, 400, 0, F_UNLCK, 0, 0);
			errno = 0;
			zdtm_check(setlk(fd, F_RDLCK, 100, 50) < 0 && errno == EAGAIN, "child's read lock on 100-149: %m");
		} else {
			zdtm_check(setlk(fd, F_WRLCK, 100, 50) == 0, "child's write lock on 100-149 after unlock: %m");
			errno = 0;
			zdtm_check(setlk(fd, F_WRLCK, 300, 100) < 0 && errno == EAGAIN,
				   "child's write lock on 300-399 with the test's read lock: %m");
		}
		_exit(zdtm_failures() != before);
	}
	if (waitpid(pid, &st, 0) != pid)
		zdtm_fail("waitpid: %m");
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[LEN];
	struct stat before, st;
	struct lockent e[4], *w = NULL, *r = NULL;
	int fd, other, n, i;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("lock");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, LEN, 34);
	if (fd < 0 || write(fd, buf, LEN) != LEN)
		zdtm_fail("create %s: %m", path);
	if (setlk(fd, F_WRLCK, 100, 50) || setlk(fd, F_RDLCK, 300, 100))
		zdtm_fail("F_OFD_SETLK: %m");
	fstat(fd, &before);
	if (locks_on(before.st_dev, before.st_ino, e, 4) != 2)
		zdtm_fail("/proc/locks does not show two locks");
	zdtm_log("lock file %s, fd %d", path, fd);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && st.st_ino == before.st_ino && st.st_dev == before.st_dev, "fd is another file");
	memset(buf, 0, LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 34) < 0, "file data differs");

	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 2, "%d locks on the file in /proc/locks, expected 2", n);
	for (i = 0; i < n && i < 4; i++) {
		zdtm_check(!strcmp(e[i].cls, "OFDLCK") && !strcmp(e[i].mode, "ADVISORY") && e[i].pid == -1,
			   "lock %d is %s %s pid %d, expected OFDLCK ADVISORY -1", i, e[i].cls, e[i].mode, e[i].pid);
		if (!strcmp(e[i].rw, "WRITE"))
			w = &e[i];
		else if (!strcmp(e[i].rw, "READ"))
			r = &e[i];
	}
	zdtm_check(w && !strcmp(w->start, "100") && !strcmp(w->end, "149"), "no WRITE lock over 100-149 in /proc/locks");
	zdtm_check(r && !strcmp(r->start, "300") && !strcmp(r->end, "399"), "no READ lock over 300-399 in /proc/locks");

	expect_getlk(fd, F_WRLCK, 0, 0, F_UNLCK, 0, 0);
	other = open(path, O_RDWR);
	zdtm_check(other >= 0, "open %s: %m", path);
	expect_getlk(other, F_WRLCK, 0, 0, F_WRLCK, 100, 50);
	close(other);
	zdtm_check(run_child(path, 0), "the child saw the locks wrong");

	zdtm_check(setlk(fd, F_UNLCK, 100, 50) == 0, "unlock 100-149: %m");
	zdtm_check(run_child(path, 1), "the child saw the locks wrong after unlocking 100-149");
	unlink(path);
	zdtm_finish();
}
