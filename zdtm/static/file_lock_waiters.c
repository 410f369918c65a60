/*
 * file_lock_waiters: processes asleep waiting for file locks (F_SETLKW, flock without
 * LOCK_NB) held by the test, restored with --file-locks.
 *
 * State: the test R holds a POSIX write lock on bytes 0-9 and flock(LOCK_EX) on a work
 * file. Child P waits in fcntl(F_SETLKW) for a write lock on 5-14 (own description); child
 * F waits in flock(LOCK_EX) on its own description. Both are in /proc/locks as waiters.
 * Check after SIGTERM: neither child got its lock nor returned (no EINTR: nothing was sent
 * to them); within 2 s /proc/locks again shows a POSIX and a FLOCK waiter ("->") on the
 * inode; R's own locks are there. R unlocks the POSIX range: P gets its lock (0 returned)
 * and F still waits; R drops the flock: F gets it. Each reports through a shared page and
 * exits 0; afterwards P's lock on 5-14 is seen by R's F_GETLK with P's pid.
 */
#include "lock_util.h"
#include "kid_util.h"
#include <stdlib.h>
#include <sys/stat.h>

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, cmd, &fl);
}

/* Waiter lines ("N: -> CLASS ...") on dev:ino: sets *posix and *fl. */
static void waiters(dev_t dev, ino_t ino, int *posix, int *fl)
{
	char *line, *save = NULL;
	*posix = *fl = 0;
	zdtm_read_file("/proc/locks", locks_buf, sizeof(locks_buf));
	for (line = strtok_r(locks_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char cls[16], mode[16], rw[16];
		unsigned ma, mi;
		unsigned long long in;
		int pid;
		if (sscanf(line, "%*d: -> %15s %15s %15s %d %x:%x:%llu", cls, mode, rw, &pid, &ma, &mi, &in) != 7)
			continue;
		if (ma != major(dev) || mi != minor(dev) || in != (unsigned long long)ino)
			continue;
		if (!strcmp(cls, "POSIX"))
			(*posix)++;
		else if (!strcmp(cls, "FLOCK"))
			(*fl)++;
	}
}

int main(int argc, char **argv)
{
	const char *path;
	struct stat st0;
	struct lockent e[8];
	struct flock fl;
	volatile int *sh;	/* [0] P result+1, [1] P errno, [2] F result+1, [3] F errno, [4] unlocked steps */
	int fd, i, wp = 0, wf = 0, n;
	pid_t p, f;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	path = zdtm_tmp_path("lock");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "0123456789abcdefghij", 20) != 20)
		zdtm_fail("create %s: %m", path);
	if (setlk(fd, F_SETLK, F_WRLCK, 0, 10) || flock(fd, LOCK_EX))
		zdtm_fail("lock: %m");
	fstat(fd, &st0);
	p = fork();
	if (p == 0) {
		int d = open(path, O_RDWR), r;
		if (d < 0)
			_exit(10);
		r = setlk(d, F_SETLKW, F_WRLCK, 5, 10);
		sh[1] = errno;
		kid_set_word(&sh[0], r + 2);
		kid_wait_word(&sh[5], 1, 20000);
		_exit(r == 0 && sh[4] >= 1 ? 0 : 1);
	}
	f = fork();
	if (f == 0) {
		int d = open(path, O_RDONLY), r;
		if (d < 0)
			_exit(10);
		r = flock(d, LOCK_EX);
		sh[3] = errno;
		kid_set_word(&sh[2], r + 2);
		_exit(r == 0 && sh[4] >= 2 ? 0 : 1);
	}
	if (p < 0 || f < 0)
		zdtm_fail("fork: %m");
	for (i = 0; i < 200; i++) {
		waiters(st0.st_dev, st0.st_ino, &wp, &wf);
		if (wp == 1 && wf == 1)
			break;
		zdtm_sleep_ms(10);
	}
	if (wp != 1 || wf != 1)
		zdtm_fail("the children are not waiting (%d posix, %d flock waiters)", wp, wf);
	zdtm_log("file %s, posix waiter %d, flock waiter %d", path, (int)p, (int)f);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(sh[0] == 0, "the F_SETLKW waiter returned %d (errno %d) before the unlock", sh[0] - 2, sh[1]);
	zdtm_check(sh[2] == 0, "the flock waiter returned %d (errno %d) before the unlock", sh[2] - 2, sh[3]);
	for (i = 0; i < 200; i++) {
		waiters(st0.st_dev, st0.st_ino, &wp, &wf);
		if (wp == 1 && wf == 1)
			break;
		zdtm_sleep_ms(10);
	}
	zdtm_check(wp == 1 && wf == 1, "waiters in /proc/locks: %d posix, %d flock; expected 1 and 1", wp, wf);
	n = locks_on(st0.st_dev, st0.st_ino, e, 8);
	zdtm_check(n == 2, "%d locks held on the file, expected R's 2", n);
	kid_set_word(&sh[4], 1);
	zdtm_check(setlk(fd, F_SETLK, F_UNLCK, 0, 10) == 0, "unlock: %m");
	zdtm_check(kid_wait_word(&sh[0], 1, 3000) && sh[0] == 2, "the F_SETLKW waiter: result %d errno %d after the unlock",
		   sh[0] - 2, sh[1]);
	zdtm_sleep_ms(100);
	zdtm_check(sh[2] == 0, "the flock waiter returned %d (errno %d) while R still holds LOCK_EX", sh[2] - 2, sh[3]);
	fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	zdtm_check(fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type == F_WRLCK && fl.l_start == 5 && fl.l_len == 10 && fl.l_pid == p,
		   "F_GETLK: type %d %lld+%lld pid %d, expected P's write lock 5+10 pid %d", fl.l_type, (long long)fl.l_start,
		   (long long)fl.l_len, fl.l_pid, (int)p);
	kid_set_word(&sh[4], 2);
	zdtm_check(flock(fd, LOCK_UN) == 0, "LOCK_UN: %m");
	zdtm_check(kid_wait_word(&sh[2], 1, 3000) && sh[2] == 2, "the flock waiter: result %d errno %d after LOCK_UN",
		   sh[2] - 2, sh[3]);
	kid_set_word(&sh[5], 1);
	kid_reap_ok(p, "the F_SETLKW waiter", 5000);
	kid_reap_ok(f, "the flock waiter", 5000);
	unlink(path);
	zdtm_finish();
}
