/*
 * file_ofd_inherited: OFD locks that belong to an open file description a child inherited,
 * restored with --file-locks.
 *
 * State: the test R opens a 100-byte work file (description D), takes an OFD write lock on
 * bytes 10-19 and an OFD read lock on 50-59 through it, forks C and closes D: only C holds
 * D, as fds A and B (a dup). R opens its own description E with an OFD read lock on 50-59.
 * Check after SIGTERM: /proc/locks has OFDLCK WRITE 10-19 and two OFDLCK READ 50-59 on the
 * inode (pid -1); from E a write lock over 10-19 is reported as F_WRLCK 10+10 pid -1; C
 * (told through a shared page) checks A and B are one description (kcmp), sees no conflict
 * over 0-29 through A, E's F_RDLCK 50+10 through B; C closes A: the lock stays (E still
 * conflicts on 10-19); C closes B: the write lock is gone and E takes a write lock on
 * 10-19; the read lock on 50-59 of D is gone too (E upgrades 50-59 to a write lock).
 */
#include "lock_util.h"
#include "kid_util.h"
#include <sys/stat.h>
#include <sys/syscall.h>

#define KCMP_FILE_ 0

static int setlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, F_OFD_SETLK, &fl);
}

static struct flock getlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	if (fcntl(fd, F_OFD_GETLK, &fl))
		fl.l_type = -1;
	return fl;
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[100];
	struct stat st0;
	struct lockent e[8];
	struct flock fl;
	volatile int *sh;
	int d, efd, n, i, w = 0, r = 0;
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	path = zdtm_tmp_path("lock");
	d = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, sizeof(buf), 5);
	if (d < 0 || write(d, buf, sizeof(buf)) != sizeof(buf))
		zdtm_fail("create %s: %m", path);
	if (setlk(d, F_WRLCK, 10, 10) || setlk(d, F_RDLCK, 50, 10))
		zdtm_fail("F_OFD_SETLK: %m");
	fstat(d, &st0);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int a = d, b = dup(d), before;
		pid_t me = getpid();
		if (b < 0)
			_exit(10);
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[1], 1, 1000000))
			;
		before = zdtm_failures();
		zdtm_check(syscall(SYS_kcmp, me, me, KCMP_FILE_, a, b) == 0, "C: fds %d and %d are not one description", a, b);
		fl = getlk(a, F_WRLCK, 0, 30);
		zdtm_check(fl.l_type == F_UNLCK, "C: its own lock conflicts (type %d %lld+%lld)", fl.l_type,
			   (long long)fl.l_start, (long long)fl.l_len);
		fl = getlk(b, F_WRLCK, 50, 10);
		zdtm_check(fl.l_type == F_RDLCK && fl.l_start == 50 && fl.l_len == 10 && fl.l_pid == -1,
			   "C: F_OFD_GETLK over 50-59: type %d %lld+%lld pid %d, expected E's read lock", fl.l_type,
			   (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
		close(a);
		kid_set_word(&sh[2], 1);
		kid_wait_word(&sh[3], 1, 5000);
		close(b);
		kid_set_word(&sh[4], 1);
		kid_wait_word(&sh[5], 1, 5000);
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("the child did not start");
	close(d);
	efd = open(path, O_RDWR);
	if (efd < 0 || setlk(efd, F_RDLCK, 50, 10))
		zdtm_fail("E: %m");
	zdtm_log("file %s, child %d, its fd %d", path, (int)c, d);

	zdtm_ready();
	zdtm_wait_for_term();

	n = locks_on(st0.st_dev, st0.st_ino, e, 8);
	zdtm_check(n == 3, "%d locks on the file, expected 3", n);
	for (i = 0; i < n && i < 8; i++) {
		zdtm_check(!strcmp(e[i].cls, "OFDLCK") && e[i].pid == -1, "lock %d is %s pid %d", i, e[i].cls, e[i].pid);
		if (!strcmp(e[i].rw, "WRITE") && !strcmp(e[i].start, "10") && !strcmp(e[i].end, "19"))
			w++;
		else if (!strcmp(e[i].rw, "READ") && !strcmp(e[i].start, "50") && !strcmp(e[i].end, "59"))
			r++;
	}
	zdtm_check(w == 1 && r == 2, "%d write locks on 10-19 (expected 1), %d read locks on 50-59 (expected 2)", w, r);
	fl = getlk(efd, F_WRLCK, 0, 30);
	zdtm_check(fl.l_type == F_WRLCK && fl.l_start == 10 && fl.l_len == 10 && fl.l_pid == -1,
		   "E: F_OFD_GETLK over 0-29: type %d %lld+%lld pid %d, expected the write lock 10+10", fl.l_type,
		   (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
	kid_set_word(&sh[1], 1);
	zdtm_check(kid_wait_word(&sh[2], 1, 5000), "C did not check");
	errno = 0;
	zdtm_check(setlk(efd, F_WRLCK, 10, 10) < 0 && errno == EAGAIN, "E: write lock on 10-19 while C still holds B: %m");
	kid_set_word(&sh[3], 1);
	zdtm_check(kid_wait_word(&sh[4], 1, 5000), "C did not close B");
	zdtm_check(setlk(efd, F_WRLCK, 10, 10) == 0, "E: write lock on 10-19 after the last close of D: %m");
	zdtm_check(setlk(efd, F_WRLCK, 50, 10) == 0, "E: upgrade of 50-59 after the last close of D: %m");
	kid_set_word(&sh[5], 1);
	kid_reap_ok(c, "C", 5000);
	zdtm_check(pread(efd, buf, sizeof(buf), 0) == sizeof(buf) && zdtm_verify(buf, sizeof(buf), 5) < 0, "file data differs");
	unlink(path);
	zdtm_finish();
}
