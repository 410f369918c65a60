/*
 * file_lease: a read lease (F_SETLEASE F_RDLCK) on a file opened O_RDONLY, restored with
 * --file-locks.
 *
 * State: a work file of 100 pattern bytes, open O_RDONLY (the only open of it) and holding
 * a read lease; a SIGIO handler (SA_SIGINFO|SA_RESTART) counting lease-break notices.
 * Check after SIGTERM: the fd is still the file (O_RDONLY), data intact; F_GETLEASE gives
 * F_RDLCK; /proc/locks has exactly one lock on the inode, "LEASE ACTIVE READ" by the
 * test's pid; the lease owner (F_GETOWN, set by the kernel when the lease was taken) is the
 * test; no SIGIO came in yet. Behaviour: a forked child can open the file O_RDONLY, but
 * O_WRONLY|O_NONBLOCK fails with EWOULDBLOCK and starts a lease break, which the test is
 * told of by SIGIO within 5 s; after F_SETLEASE F_UNLCK no lease is left in /proc/locks and
 * the child's O_WRONLY|O_NONBLOCK open succeeds.
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

#define LEN 100

static volatile sig_atomic_t sigio_count;

static void on_sigio(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)si; (void)uc;
	sigio_count++;
}

/* A child opens path with flags: 0 if that worked, else errno. */
static int child_open(const char *path, int flags)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		zdtm_fail("fork: %m");
	if (pid == 0)
		_exit(open(path, flags) >= 0 ? 0 : (errno & 0x7f));
	while (waitpid(pid, &st, 0) != pid)
		if (errno != EINTR)
			zdtm_fail("waitpid: %m");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t buf[LEN];
	struct stat before, st;
	struct lockent e[4];
	struct sigaction sa;
	pid_t me;
	int fd, fl, n, r, i;

	zdtm_init(argc, argv);
	me = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigio;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGIO, &sa, NULL))
		zdtm_fail("sigaction: %m");
	path = zdtm_tmp_path("lease");
	zdtm_fill(buf, LEN, 35);
	zdtm_write_file(path, buf, LEN);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		zdtm_fail("open %s: %m", path);
	if (fcntl(fd, F_SETLEASE, F_RDLCK))
		zdtm_fail("F_SETLEASE: %m");
	fl = fcntl(fd, F_GETFL);
	fstat(fd, &before);
	if (fcntl(fd, F_GETLEASE) != F_RDLCK || locks_on(before.st_dev, before.st_ino, e, 4) != 1)
		zdtm_fail("the lease is not there");
	zdtm_log("lease file %s, fd %d, owner %d", path, fd, fcntl(fd, F_GETOWN));

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && st.st_ino == before.st_ino && st.st_dev == before.st_dev, "fd is another file");
	zdtm_check(fcntl(fd, F_GETFL) == fl, "flags %#x, expected %#x", fcntl(fd, F_GETFL), fl);
	memset(buf, 0, LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 35) < 0, "file data differs");
	r = fcntl(fd, F_GETLEASE);
	zdtm_check(r == F_RDLCK, "F_GETLEASE = %d, expected F_RDLCK", r);
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 1, "%d locks on the file in /proc/locks, expected 1", n);
	if (n >= 1)
		zdtm_check(!strcmp(e[0].cls, "LEASE") && !strcmp(e[0].mode, "ACTIVE") && !strcmp(e[0].rw, "READ") &&
			   e[0].pid == me, "lock is %s %s %s by %d, expected LEASE ACTIVE READ by %d",
			   e[0].cls, e[0].mode, e[0].rw, e[0].pid, me);
	zdtm_check(fcntl(fd, F_GETOWN) == me, "F_GETOWN %d, expected %d", fcntl(fd, F_GETOWN), me);
	zdtm_check(sigio_count == 0, "%d SIGIO before any lease break", (int)sigio_count);

	r = child_open(path, O_RDONLY | O_NONBLOCK);
	zdtm_check(r == 0, "child cannot open the file for reading: %s", strerror(r));
	r = child_open(path, O_WRONLY | O_NONBLOCK);
	zdtm_check(r == EWOULDBLOCK, "child's O_WRONLY|O_NONBLOCK open: %s", r ? strerror(r) : "worked");
	for (i = 0; i < 500 && !sigio_count; i++)
		zdtm_sleep_ms(10);
	zdtm_check(sigio_count > 0, "no SIGIO for the lease break");

	zdtm_check(fcntl(fd, F_SETLEASE, F_UNLCK) == 0, "F_SETLEASE F_UNLCK: %m");
	n = locks_on(before.st_dev, before.st_ino, e, 4);
	zdtm_check(n == 0, "%d locks left on the file after giving the lease up", n);
	r = child_open(path, O_WRONLY | O_NONBLOCK);
	zdtm_check(r == 0, "child's O_WRONLY open after the lease is gone: %s", strerror(r));
	unlink(path);
	zdtm_finish();
}
