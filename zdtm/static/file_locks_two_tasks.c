/*
 * file_locks_two_tasks: flock and POSIX record locks of two processes on one file, restored
 * with --file-locks.
 *
 * State: a 400-byte work file. The test R opens it (description D1): POSIX write lock on
 * bytes 0-99 and flock(LOCK_SH). Its child C opens it on its own (D2): POSIX read lock on
 * 200-299 and flock(LOCK_SH).
 * Check after SIGTERM: /proc/locks has exactly POSIX WRITE R 0-99, POSIX READ C 200-299 and
 * two FLOCK READ entries (R and C) on the inode; F_GETLK from R for a write lock over
 * 200-299 names C with F_RDLCK 200+100; R sees nothing over 0-399 for a read lock except
 * C's read lock does not conflict; C (told through a shared page) sees R's F_WRLCK 0+100
 * for a read lock over 0-49, nothing over 100-199; a fresh process with its own description
 * gets EWOULDBLOCK for flock(LOCK_EX|LOCK_NB) but LOCK_SH works. After R unlocks 0-99 C's
 * write lock there succeeds; after C exits its locks are gone and R write-locks 200-299.
 */
#include "lock_util.h"
#include "kid_util.h"
#include <sys/stat.h>

#define LEN 400

static int setlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, F_SETLK, &fl);
}

static struct flock getlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, F_GETLK, &fl))
		fl.l_type = -1;
	return fl;
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[LEN];
	struct stat st0;
	struct lockent e[8];
	struct flock fl;
	volatile int *sh;
	int fd, n, i, pw = 0, cr = 0, fr = 0, fc = 0, st;
	pid_t me, c, h;

	zdtm_init(argc, argv);
	me = getpid();
	sh = kid_shared_page();
	path = zdtm_tmp_path("lock");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, LEN, 77);
	if (fd < 0 || write(fd, buf, LEN) != LEN)
		zdtm_fail("create %s: %m", path);
	if (setlk(fd, F_WRLCK, 0, 100) || flock(fd, LOCK_SH))
		zdtm_fail("lock: %m");
	fstat(fd, &st0);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int before, d;
		close(fd);
		d = open(path, O_RDWR);
		if (d < 0 || setlk(d, F_RDLCK, 200, 100) || flock(d, LOCK_SH))
			_exit(10);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		fl = getlk(d, F_RDLCK, 0, 50);
		zdtm_check(fl.l_type == F_WRLCK && fl.l_start == 0 && fl.l_len == 100 && fl.l_pid == me,
			   "C: F_GETLK over 0-49: type %d %lld+%lld pid %d, expected R's write lock 0+100 pid %d", fl.l_type,
			   (long long)fl.l_start, (long long)fl.l_len, fl.l_pid, me);
		fl = getlk(d, F_WRLCK, 100, 100);
		zdtm_check(fl.l_type == F_UNLCK, "C: F_GETLK over 100-199: type %d pid %d", fl.l_type, fl.l_pid);
		kid_set_word(&sh[2], 1);
		kid_wait_word(&sh[3], 1, 5000);
		zdtm_check(setlk(d, F_WRLCK, 0, 100) == 0, "C: write lock on 0-99 after R unlocked: %m");
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("the child did not lock");
	zdtm_log("file %s, child %d", path, (int)c);

	zdtm_ready();
	zdtm_wait_for_term();

	n = locks_on(st0.st_dev, st0.st_ino, e, 8);
	zdtm_check(n == 4, "%d locks on the file, expected 4", n);
	for (i = 0; i < n && i < 8; i++) {
		if (!strcmp(e[i].cls, "POSIX") && !strcmp(e[i].rw, "WRITE") && e[i].pid == me && !strcmp(e[i].start, "0") &&
		    !strcmp(e[i].end, "99"))
			pw++;
		else if (!strcmp(e[i].cls, "POSIX") && !strcmp(e[i].rw, "READ") && e[i].pid == c &&
			 !strcmp(e[i].start, "200") && !strcmp(e[i].end, "299"))
			cr++;
		else if (!strcmp(e[i].cls, "FLOCK") && !strcmp(e[i].rw, "READ") && e[i].pid == me)
			fr++;
		else if (!strcmp(e[i].cls, "FLOCK") && !strcmp(e[i].rw, "READ") && e[i].pid == c)
			fc++;
		else
			zdtm_check(0, "unexpected lock %s %s %s pid %d %s-%s", e[i].cls, e[i].mode, e[i].rw, e[i].pid, e[i].start,
				   e[i].end);
	}
	zdtm_check(pw == 1 && cr == 1 && fr == 1 && fc == 1, "locks: R posix write %d, C posix read %d, R flock %d, C flock %d",
		   pw, cr, fr, fc);
	fl = getlk(fd, F_WRLCK, 200, 100);
	zdtm_check(fl.l_type == F_RDLCK && fl.l_start == 200 && fl.l_len == 100 && fl.l_pid == c,
		   "R: F_GETLK over 200-299: type %d %lld+%lld pid %d, expected C's read lock pid %d", fl.l_type,
		   (long long)fl.l_start, (long long)fl.l_len, fl.l_pid, (int)c);
	fl = getlk(fd, F_RDLCK, 0, 0);
	zdtm_check(fl.l_type == F_UNLCK, "R: a read lock over the whole file conflicts with type %d pid %d", fl.l_type, fl.l_pid);
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000), "C did not check");
	zdtm_check(child_flock(path, LOCK_EX) == EWOULDBLOCK, "a fresh LOCK_EX did not conflict with the shared flocks");
	zdtm_check(child_flock(path, LOCK_SH) == 0, "a fresh LOCK_SH failed");
	h = fork();
	if (h == 0) {
		int d = open(path, O_RDWR);
		_exit(d >= 0 && setlk(d, F_WRLCK, 100, 100) == 0 && setlk(d, F_WRLCK, 50, 10) < 0 ? 0 : 1);
	}
	zdtm_check(h > 0 && waitpid(h, &st, 0) == h && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "a fresh process: 100-199 not free or 50-59 not locked");
	zdtm_check(setlk(fd, F_UNLCK, 0, 100) == 0, "unlock: %m");
	kid_set_word(&sh[3], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_check(setlk(fd, F_WRLCK, 200, 100) == 0, "R: write lock on 200-299 after C ended: %m");
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 77) < 0, "file data differs");
	unlink(path);
	zdtm_finish();
}
