/*
 * file_flock: a regular file held under flock(LOCK_EX), restored with --file-locks.
 *
 * State: a work file in the outfile's directory, 300 pattern bytes, open O_RDWR at offset
 * 123 and locked with flock(LOCK_EX) by the test.
 * Check after SIGTERM: the fd is still that file (device and inode of the path) at offset
 * 123 with O_RDWR, data intact; /proc/locks has exactly one lock on the inode and it is
 * "FLOCK ADVISORY WRITE" over 0..EOF; a forked child that opens the path itself gets
 * EWOULDBLOCK from flock(LOCK_EX|LOCK_NB) and from flock(LOCK_SH|LOCK_NB); the test's own
 * fd still owns the lock (flock(LOCK_EX|LOCK_NB) on it succeeds without waiting); after
 * the test unlocks, /proc/locks has no entry for the inode and the child gets the lock.
 */
#include "zdtm.h"
#include "lock_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN 300
#define OFF 123

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[LEN];
	struct stat before, st, pst;
	struct lockent e[4];
	int fd, fl, n, r;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("lock");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		zdtm_fail("open %s: %m", path);
	zdtm_fill(buf, LEN, 31);
	if (write(fd, buf, LEN) != LEN || lseek(fd, OFF, SEEK_SET) != OFF)
		zdtm_fail("write/lseek: %m");
	if (flock(fd, LOCK_EX))
		zdtm_fail("flock: %m");
	fl = fcntl(fd, F_GETFL);
	fstat(fd, &before);
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	if (n != 1 || strcmp(e[0].cls, "FLOCK") || strcmp(e[0].rw, "WRITE"))
		zdtm_fail("/proc/locks does not show the lock (%d entries)", n);
	zdtm_log("lock file %s, fd %d, pid %d", path, fd, e[0].pid);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && stat(path, &pst) == 0 && st.st_dev == pst.st_dev &&
		   st.st_ino == pst.st_ino && st.st_ino == before.st_ino, "fd %d is not the work file", fd);
	zdtm_check(fcntl(fd, F_GETFL) == fl, "flags %#x, expected %#x", fcntl(fd, F_GETFL), fl);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == OFF, "offset %lld, expected %d", (long long)lseek(fd, 0, SEEK_CUR), OFF);
	memset(buf, 0, LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 31) < 0, "file data differs");

	n = locks_on(pst.st_dev, pst.st_ino, e, 4);
	zdtm_check(n == 1, "%d locks on the file in /proc/locks, expected 1", n);
	if (n >= 1) {
		zdtm_check(!strcmp(e[0].cls, "FLOCK") && !strcmp(e[0].mode, "ADVISORY") && !strcmp(e[0].rw, "WRITE"),
			   "lock is %s %s %s, expected FLOCK ADVISORY WRITE", e[0].cls, e[0].mode, e[0].rw);
		zdtm_check(!strcmp(e[0].start, "0") && !strcmp(e[0].end, "EOF"), "lock covers %s..%s", e[0].start, e[0].end);
		zdtm_log("lock pid in /proc/locks: %d (test %d)", e[0].pid, getpid());
	}
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == EWOULDBLOCK, "child's flock(LOCK_EX|LOCK_NB): %s", r ? strerror(r) : "got the lock");
	r = child_flock(path, LOCK_SH);
	zdtm_check(r == EWOULDBLOCK, "child's flock(LOCK_SH|LOCK_NB): %s", r ? strerror(r) : "got the lock");
	/* Our own description holds it: locking again (same description) is a no-op, not a wait. */
	zdtm_check(flock(fd, LOCK_EX | LOCK_NB) == 0, "flock on the test's own fd: %m");

	zdtm_check(flock(fd, LOCK_UN) == 0, "unlock: %m");
	n = locks_on(pst.st_dev, pst.st_ino, e, 4);
	zdtm_check(n == 0, "%d locks left on the file after unlocking (another holder?)", n);
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == 0, "child's flock(LOCK_EX|LOCK_NB) after unlock: %s", strerror(r));
	unlink(path);
	zdtm_finish();
}
