/*
 * clone_fs_shared: two processes sharing one fs_struct (cwd, root, umask: clone with
 * CLONE_FS but not CLONE_VM), carried across checkpoints (restore clones C with CLONE_FS
 * again).
 *
 * State: three work directories D1, D2, D3 next to the outfile; the test chdir()s to D1,
 * sets umask 027 and clones child C with CLONE_FS|SIGCHLD (raw clone, fork-like; C closes
 * every fd but 0-2 at once). C waits for SIGUSR1 in 20 ms sleeps.
 * Check after SIGTERM: C is alive and our child; kcmp(KCMP_FS) says one fs_struct; cwd is
 * D1 (getcwd and inode) for the test and C (/proc/C/cwd), umask 027 for both (umask() and
 * /proc/C/status Umask). Sharing still works both ways: after the test's chdir(D2) and
 * umask(066), C's /proc cwd is D2 and its Umask 0066; on SIGUSR1 C does chdir(D3) and
 * umask(022) and exits 0, after which the test is in D3 with umask 022.
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

#define KCMP_FS_ 3

static volatile sig_atomic_t usr1;
static char d1[PATH_MAX], d2[PATH_MAX], d3[PATH_MAX];

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static void child_loop(pid_t parent) __attribute__((noreturn));
static void child_loop(pid_t parent)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	/* Our fd table is a copy: drop the ready pipe (and everything else but 0-2). */
	syscall(SYS_close_range, 3, ~0U, 0);
	for (;;) {
		if (usr1) {
			if (chdir(d3))
				_exit(2);
			umask(022);
			_exit(0);
		}
		if (syscall(SYS_getppid) != parent)
			_exit(3);
		nanosleep(&ts, NULL);
	}
}

static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static unsigned child_umask(pid_t pid)
{
	char p[64], buf[4096], *u;

	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	zdtm_read_file(p, buf, sizeof(buf));
	u = strstr(buf, "\nUmask:");
	return u ? strtoul(u + 7, NULL, 8) : 0777;
}

static unsigned my_umask(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

int main(int argc, char **argv)
{
	char cwd[PATH_MAX], ccwd[64], buf[512];
	struct sigaction sa;
	pid_t me, child;
	int st;
	long r;

	zdtm_init(argc, argv);
	me = getpid();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		zdtm_fail("sigaction: %m");
	snprintf(d1, sizeof(d1), "%s", zdtm_tmp_path("d1"));
	snprintf(d2, sizeof(d2), "%s", zdtm_tmp_path("d2"));
	snprintf(d3, sizeof(d3), "%s", zdtm_tmp_path("d3"));
	if ((mkdir(d1, 0755) && errno != EEXIST) || (mkdir(d2, 0755) && errno != EEXIST) ||
	    (mkdir(d3, 0755) && errno != EEXIST))
		zdtm_fail("mkdir: %m");
	/* getcwd() gives the path without symlinks. */
	if (!realpath(zdtm_tmp_path("d1"), d1) || !realpath(zdtm_tmp_path("d2"), d2) || !realpath(zdtm_tmp_path("d3"), d3))
		zdtm_fail("realpath: %m");
	if (chdir(d1))
		zdtm_fail("chdir: %m");
	umask(027);
	child = syscall(SYS_clone, CLONE_FS | SIGCHLD, 0, 0, 0, 0);
	if (child < 0)
		zdtm_fail("clone: %m");
	if (child == 0)
		child_loop(me);
	snprintf(ccwd, sizeof(ccwd), "/proc/%d/cwd", child);
	if (!same_dir(ccwd, d1))
		zdtm_fail("the child is not in %s", d1);
	zdtm_log("child %d, directories %s %s %s", child, d1, d2, d3);

	zdtm_ready();
	zdtm_wait_for_term();

	if (!zdtm_check(waitpid(child, &st, WNOHANG) == 0, "the child is gone"))
		zdtm_fail("cannot go on without the child");
	snprintf(cwd, sizeof(cwd), "/proc/%d/stat", child);
	zdtm_read_file(cwd, buf, sizeof(buf));
	zdtm_check(atoi(strrchr(buf, ')') + 4) == me, "the child's parent is not the test");
	r = syscall(SYS_kcmp, me, child, KCMP_FS_, 0, 0);
	zdtm_check(r == 0, "kcmp(KCMP_FS) = %ld: the fs_struct is not shared", r);
	zdtm_check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, d1), "cwd is %s, expected %s", cwd, d1);
	zdtm_check(same_dir(".", d1), "cwd is not the inode of %s", d1);
	zdtm_check(same_dir(ccwd, d1), "the child's cwd is not %s", d1);
	zdtm_check(my_umask() == 027, "umask %03o, expected 027", my_umask());
	zdtm_check(child_umask(child) == 027, "the child's umask %03o, expected 027", child_umask(child));

	zdtm_check(chdir(d2) == 0, "chdir: %m");
	umask(066);
	zdtm_check(same_dir(ccwd, d2), "the child did not follow the test's chdir");
	zdtm_check(child_umask(child) == 066, "the child's umask %03o after the test set 066", child_umask(child));

	kill(child, SIGUSR1);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child ended with status %#x", st);
	zdtm_check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, d3) && same_dir(".", d3),
		   "after the child's chdir the test is in %s, expected %s", cwd, d3);
	zdtm_check(my_umask() == 022, "umask %03o after the child set 022", my_umask());

	if (chdir("/") == 0) {
		rmdir(d1);
		rmdir(d2);
		rmdir(d3);
	}
	zdtm_finish();
}
