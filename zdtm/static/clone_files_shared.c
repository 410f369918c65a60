/*
 * clone_files_shared: two processes sharing one fd table (clone with CLONE_FILES but not
 * CLONE_VM), carried across checkpoints (restore clones C with CLONE_FILES again).
 *
 * State: the test opens a work file (fd A), then clones child C with CLONE_FILES|SIGCHLD
 * (raw clone, fork-like); after the clone the test opens /dev/null (fd B), which C sees
 * too. C waits for SIGUSR1 in 20 ms sleeps.
 * Check after SIGTERM: C is alive, still our child; kcmp(KCMP_FILES) says one table; C's
 * /proc fd links for A and B name the same files as ours; sharing still works both ways:
 * an fd the test dup2()s to 77 shows up in C's /proc/C/fd, B closed by the test is gone
 * there; on SIGUSR1 C opens /dev/zero, dup2()s it to 78 and exits 0, after which fd 78
 * is /dev/zero in the test.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KCMP_FILES_ 2

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static void child_loop(pid_t parent) __attribute__((noreturn));
static void child_loop(pid_t parent)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int fd;

	for (;;) {
		if (usr1) {
			fd = open("/dev/zero", O_RDONLY);
			if (fd < 0 || dup2(fd, 78) != 78)
				_exit(2);
			close(fd);
			_exit(0);
		}
		if (syscall(SYS_getppid) != parent)
			_exit(3);
		nanosleep(&ts, NULL);
	}
}

/* readlink of /proc/PID/fd/FD into buf ("" if there is none). */
static const char *fd_link(pid_t pid, int fd, char *buf, size_t size)
{
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/%d/fd/%d", pid, fd);
	n = readlink(p, buf, size - 1);
	buf[n < 0 ? 0 : n] = 0;
	return buf;
}

int main(int argc, char **argv)
{
	char mine[PATH_MAX], theirs[PATH_MAX], ppid_s[32];
	struct sigaction sa;
	pid_t me, child;
	int a, b, st;
	long r;

	zdtm_init(argc, argv);
	me = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		zdtm_fail("sigaction: %m");
	a = open(zdtm_tmp_path("data"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (a < 0)
		zdtm_fail("open: %m");
	child = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (child < 0)
		zdtm_fail("clone: %m");
	if (child == 0)
		child_loop(me);
	b = open("/dev/null", O_RDONLY);
	if (b < 0)
		zdtm_fail("open: %m");
	if (strcmp(fd_link(child, b, theirs, sizeof(theirs)), "/dev/null"))
		zdtm_fail("the child does not see fd %d", b);
	zdtm_log("child %d, fds A=%d B=%d", child, a, b);

	zdtm_ready();
	zdtm_wait_for_term();

	if (!zdtm_check(waitpid(child, &st, WNOHANG) == 0, "the child is gone"))
		zdtm_fail("cannot go on without the child");
	snprintf(mine, sizeof(mine), "/proc/%d/stat", child);
	zdtm_read_file(mine, theirs, sizeof(theirs));
	sscanf(strrchr(theirs, ')') + 2, "%*c %31s", ppid_s);
	zdtm_check(atoi(ppid_s) == me, "the child's parent is %s, expected %d", ppid_s, me);
	r = syscall(SYS_kcmp, me, child, KCMP_FILES_, 0, 0);
	zdtm_check(r == 0, "kcmp(KCMP_FILES) = %ld: the fd table is not shared", r);
	zdtm_check(!strcmp(fd_link(me, a, mine, sizeof(mine)), fd_link(child, a, theirs, sizeof(theirs))) && mine[0],
		   "fd A: ours %s, the child's %s", mine, theirs);
	zdtm_check(!strcmp(fd_link(child, b, theirs, sizeof(theirs)), "/dev/null"), "the child's fd B is '%s'", theirs);

	zdtm_check(dup2(a, 77) == 77, "dup2: %m");
	zdtm_check(!strcmp(fd_link(child, 77, theirs, sizeof(theirs)), fd_link(me, a, mine, sizeof(mine))),
		   "fd 77 dup'ed by the test is '%s' in the child", theirs);
	close(b);
	zdtm_check(!fd_link(child, b, theirs, sizeof(theirs))[0], "fd B closed by the test is still '%s' in the child",
		   theirs);

	zdtm_check(fcntl(78, F_GETFD) < 0, "fd 78 exists before the child made it");
	kill(child, SIGUSR1);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child ended with status %#x", st);
	zdtm_check(!strcmp(fd_link(me, 78, mine, sizeof(mine)), "/dev/zero"), "fd 78 made by the child is '%s' here",
		   mine);
	unlink(zdtm_tmp_path("data"));
	zdtm_finish();
}
