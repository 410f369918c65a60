/*
 * file_flock_shared: one file opened twice (two open file descriptions), each holding a
 * flock(LOCK_SH), restored with --file-locks.
 *
 * State: a work file with 200 pattern bytes; fd A opened O_RDONLY at offset 10, fd B opened
 * O_RDWR at offset 20; flock(LOCK_SH) on A and on B.
 * Check after SIGTERM: A and B are still the work file with their flags and offsets, and two
 * different descriptions (kcmp KCMP_FILE); /proc/locks has exactly two locks on the inode,
 * both "FLOCK ADVISORY READ"; a forked child opening the path gets EWOULDBLOCK from
 * flock(LOCK_EX|LOCK_NB) but gets flock(LOCK_SH|LOCK_NB); each description holds its own
 * lock: after unlocking A one READ entry is left and the child still cannot take LOCK_EX,
 * after unlocking B too no entry is left and the child gets LOCK_EX.
 */
#include "zdtm.h"
#include "lock_util.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN 200
#define KCMP_FILE_ 0

static const char *res(int r)
{
	return r ? strerror(r) : "got the lock";
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[LEN];
	struct stat before, sa, sb;
	struct lockent e[4];
	int a, b, fla, flb, n, i, r;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("lock");
	b = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, LEN, 32);
	if (b < 0 || write(b, buf, LEN) != LEN)
		zdtm_fail("create %s: %m", path);
	a = open(path, O_RDONLY);
	if (a < 0 || lseek(a, 10, SEEK_SET) != 10 || lseek(b, 20, SEEK_SET) != 20)
		zdtm_fail("open/lseek: %m");
	if (flock(a, LOCK_SH) || flock(b, LOCK_SH))
		zdtm_fail("flock: %m");
	fla = fcntl(a, F_GETFL);
	flb = fcntl(b, F_GETFL);
	fstat(a, &before);
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	if (n != 2)
		zdtm_fail("/proc/locks shows %d locks, expected 2", n);
	zdtm_log("lock file %s, fds A=%d B=%d", path, a, b);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(stat(path, &sa) == 0 && sa.st_ino == before.st_ino && sa.st_dev == before.st_dev,
		   "the work file is another inode");
	zdtm_check(fstat(a, &sa) == 0 && sa.st_ino == before.st_ino && sa.st_dev == before.st_dev, "A is another file");
	zdtm_check(fstat(b, &sb) == 0 && sb.st_ino == before.st_ino && sb.st_dev == before.st_dev, "B is another file");
	zdtm_check(fcntl(a, F_GETFL) == fla && fcntl(b, F_GETFL) == flb, "flags changed: A %#x (was %#x), B %#x (was %#x)",
		   fcntl(a, F_GETFL), fla, fcntl(b, F_GETFL), flb);
	zdtm_check(lseek(a, 0, SEEK_CUR) == 10 && lseek(b, 0, SEEK_CUR) == 20, "offsets %lld/%lld, expected 10/20",
		   (long long)lseek(a, 0, SEEK_CUR), (long long)lseek(b, 0, SEEK_CUR));
	r = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE_, a, b);
	zdtm_check(r > 0, "kcmp(A, B) = %d: not two descriptions", r);
	memset(buf, 0, LEN);
	zdtm_check(pread(a, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 32) < 0, "file data differs");

	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 2, "%d locks on the file in /proc/locks, expected 2", n);
	for (i = 0; i < n && i < 4; i++)
		zdtm_check(!strcmp(e[i].cls, "FLOCK") && !strcmp(e[i].mode, "ADVISORY") && !strcmp(e[i].rw, "READ") &&
			   !strcmp(e[i].start, "0") && !strcmp(e[i].end, "EOF"),
			   "lock %d is %s %s %s %s..%s, expected FLOCK ADVISORY READ 0..EOF", i, e[i].cls,
			   e[i].mode, e[i].rw, e[i].start, e[i].end);
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == EWOULDBLOCK, "child's flock(LOCK_EX|LOCK_NB): %s", res(r));
	r = child_flock(path, LOCK_SH);
	zdtm_check(r == 0, "child's flock(LOCK_SH|LOCK_NB): %s", res(r));

	zdtm_check(flock(a, LOCK_UN) == 0, "unlock A: %m");
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 1 && !strcmp(e[0].rw, "READ"), "%d locks after unlocking A, expected B's READ", n);
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == EWOULDBLOCK, "child's flock(LOCK_EX|LOCK_NB) with B still locked: %s", res(r));

	zdtm_check(flock(b, LOCK_UN) == 0, "unlock B: %m");
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 0, "%d locks left after unlocking A and B", n);
	r = child_flock(path, LOCK_EX);
	zdtm_check(r == 0, "child's flock(LOCK_EX|LOCK_NB) after both unlocks: %s", res(r));
	unlink(path);
	zdtm_finish();
}
