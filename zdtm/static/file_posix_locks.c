/*
 * file_posix_locks: POSIX record locks (fcntl F_SETLK) on a file, restored with --file-locks.
 *
 * State: a work file of 400 pattern bytes open O_RDWR; a write lock on bytes 0-99 and a
 * read lock on bytes 200-299, both taken by the test with F_SETLK.
 * Check after SIGTERM: the fd is still the file, data intact; /proc/locks has exactly two
 * locks on the inode: "POSIX ADVISORY WRITE <test pid> 0 99" and "POSIX ADVISORY READ
 * <test pid> 200 299"; a forked child with its own fd on the file asks F_GETLK for a write
 * lock over 0-99 and gets F_WRLCK 0+100 owned by the test's pid, over 200-299 gets
 * F_RDLCK 200+100 by the test's pid, a read lock over 200-299 is free (F_UNLCK), and so
 * are 100-199 and 300-EOF for a write lock; the child's F_SETLK of a read lock on 0-99
 * fails with EAGAIN/EACCES. The test owns the locks: it unlocks 0-99 and then the child's
 * F_SETLK write lock on 0-99 succeeds, while 200-299 still conflicts.
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

#define LEN 400

static const char *tname(int t)
{
	return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

/* F_GETLK for a lock of `type` over start+len: must report want (type, start, len, pid). */
static void expect_getlk(int fd, short type, off_t start, off_t len, short want, off_t wstart, off_t wlen, pid_t wpid)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 12345 };

	if (!zdtm_check(fcntl(fd, F_GETLK, &fl) == 0, "F_GETLK %lld+%lld: %m", (long long)start, (long long)len))
		return;
	if (want == F_UNLCK) {
		zdtm_check(fl.l_type == F_UNLCK, "F_GETLK %s over %lld+%lld: a conflicting %s at %lld+%lld pid %d",
			   tname(type), (long long)start, (long long)len, tname(fl.l_type),
			   (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
		return;
	}
	zdtm_check(fl.l_type == want && fl.l_start == wstart && fl.l_len == wlen && fl.l_pid == wpid,
		   "F_GETLK over %lld+%lld: %s %lld+%lld pid %d, expected %s %lld+%lld pid %d",
		   (long long)start, (long long)len, tname(fl.l_type), (long long)fl.l_start, (long long)fl.l_len,
		   fl.l_pid, tname(want), (long long)wstart, (long long)wlen, wpid);
}

static int run_child(const char *path, pid_t owner, int phase)
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
			expect_getlk(fd, F_WRLCK, 0, 100, F_WRLCK, 0, 100, owner);
			expect_getlk(fd, F_WRLCK, 50, 1, F_WRLCK, 0, 100, owner);
			expect_getlk(fd, F_WRLCK, 200, 100, F_RDLCK, 200, 100, owner);
			expect_getlk(fd, F_RDLCK, 200, 100, F_UNLCK, 0, 0, 0);
			expect_getlk(fd, F_WRLCK, 100, 100, F_UNLCK, 0, 0, 0);
			expect_getlk(fd, F_WRLCK, 300, 0, F_UNLCK, 0, 0, 0);
			errno = 0;
			zdtm_check(setlk(fd, F_SETLK, F_RDLCK, 0, 100) < 0 && (errno == EAGAIN || errno == EACCES),
				   "child's F_SETLK read lock on 0-99: %m");
		} else {
			zdtm_check(setlk(fd, F_SETLK, F_WRLCK, 0, 100) == 0, "child's write lock on 0-99 after unlock: %m");
			errno = 0;
			zdtm_check(setlk(fd, F_SETLK, F_WRLCK, 200, 100) < 0 && (errno == EAGAIN || errno == EACCES),
				   "child's F_SETLK write lock on 200-299 with the test's read lock: %m");
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
	pid_t me;
	int fd, n, i;

	zdtm_init(argc, argv);
	me = getpid();
	path = zdtm_tmp_path("lock");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, LEN, 33);
	if (fd < 0 || write(fd, buf, LEN) != LEN)
		zdtm_fail("create %s: %m", path);
	if (setlk(fd, F_SETLK, F_WRLCK, 0, 100) || setlk(fd, F_SETLK, F_RDLCK, 200, 100))
		zdtm_fail("F_SETLK: %m");
	fstat(fd, &before);
	if (locks_on(before.st_dev, before.st_ino, e, 4) != 2)
		zdtm_fail("/proc/locks does not show two locks");
	zdtm_log("lock file %s, fd %d", path, fd);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(getpid() == me, "pid %d, was %d", getpid(), me);
	zdtm_check(fstat(fd, &st) == 0 && st.st_ino == before.st_ino && st.st_dev == before.st_dev, "fd is another file");
	memset(buf, 0, LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 33) < 0, "file data differs");

	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 2, "%d locks on the file in /proc/locks, expected 2", n);
	for (i = 0; i < n && i < 4; i++) {
		zdtm_check(!strcmp(e[i].cls, "POSIX") && !strcmp(e[i].mode, "ADVISORY") && e[i].pid == me,
			   "lock %d is %s %s owned by %d, expected POSIX ADVISORY by %d", i, e[i].cls, e[i].mode, e[i].pid, me);
		if (!strcmp(e[i].rw, "WRITE"))
			w = &e[i];
		else if (!strcmp(e[i].rw, "READ"))
			r = &e[i];
	}
	zdtm_check(w && !strcmp(w->start, "0") && !strcmp(w->end, "99"), "no WRITE lock over 0-99 in /proc/locks");
	zdtm_check(r && !strcmp(r->start, "200") && !strcmp(r->end, "299"), "no READ lock over 200-299 in /proc/locks");
	/* Our own locks never conflict with us. */
	expect_getlk(fd, F_WRLCK, 0, 0, F_UNLCK, 0, 0, 0);
	zdtm_check(run_child(path, me, 0), "the child saw the locks wrong");

	zdtm_check(setlk(fd, F_SETLK, F_UNLCK, 0, 100) == 0, "unlock 0-99: %m");
	zdtm_check(run_child(path, me, 1), "the child saw the locks wrong after unlocking 0-99");
	unlink(path);
	zdtm_finish();
}
