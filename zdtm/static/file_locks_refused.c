/*
 * file_locks_refused: a file held under flock(LOCK_EX), dumped WITHOUT --file-locks: amber
 * must refuse the dump (a restore would silently drop the lock), and leave the test as it
 * was.
 *
 * State: a work file of 64 pattern bytes open O_RDWR and locked with flock(LOCK_EX).
 * Check after SIGTERM: the fd is still the file, data intact; /proc/locks has exactly one
 * lock on the inode, "FLOCK ADVISORY WRITE" by the test's pid; a forked child opening the
 * path gets EWOULDBLOCK from flock(LOCK_EX|LOCK_NB) and flock(LOCK_SH|LOCK_NB); after the
 * test unlocks, the child gets LOCK_EX.
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

#define LEN 64

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[LEN];
	struct stat before, st;
	struct lockent e[4];
	pid_t me;
	int fd, n, r;

	zdtm_init(argc, argv);
	me = getpid();
	path = zdtm_tmp_path("lock");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, LEN, 36);
	if (fd < 0 || write(fd, buf, LEN) != LEN)
		zdtm_fail("create %s: %m", path);
	if (flock(fd, LOCK_EX))
		zdtm_fail("flock: %m");
	fstat(fd, &before);
	zdtm_log("lock file %s, fd %d", path, fd);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && st.st_ino == before.st_ino && st.st_dev == before.st_dev, "fd is another file");
	memset(buf, 0, LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 36) < 0, "file data differs");
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 1, "%d locks on the file in /proc/locks, expected 1", n);
	if (n >= 1)
		zdtm_check(!strcmp(e[0].cls, "FLOCK") && !strcmp(e[0].mode, "ADVISORY") && !strcmp(e[0].rw, "WRITE") &&
			   e[0].pid == me, "lock is %s %s %s by %d, expected FLOCK ADVISORY WRITE by %d",
			   e[0].cls, e[0].mode, e[0].rw, e[0].pid, me);
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == EWOULDBLOCK, "child's flock(LOCK_EX|LOCK_NB): %s", r ? strerror(r) : "got the lock");
	r = child_flock(path, LOCK_SH);
	zdtm_check(r == EWOULDBLOCK, "child's flock(LOCK_SH|LOCK_NB): %s", r ? strerror(r) : "got the lock");
	zdtm_check(flock(fd, LOCK_UN) == 0, "unlock: %m");
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == 0, "child's flock(LOCK_EX|LOCK_NB) after unlock: %s", strerror(r));
	unlink(path);
	zdtm_finish();
}
