/*
 * umask_tree: a different umask in every process of a tree, and a different cwd.
 *
 * State: the root R has umask 027 and cwd the work directory; its child A umask 077 and
 * cwd a subdirectory "a" of it; A's child G umask 002 and cwd "a/g"; R's child B umask 0
 * (cwd inherited from R).
 * Check after SIGTERM: each task reads its umask back (umask() twice), compares the Umask:
 * line of /proc/self/status, creates a file with mode 0666 in its cwd and checks the
 * resulting mode; checks getcwd() and that "." is the same inode as the directory it chose;
 * children exit 42, and the parents check that.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct task { const char *name; mode_t mask; char dir[PATH_MAX]; struct stat st; };

static void set_up(struct task *t, const char *dir, mode_t mask)
{
	if (dir) {
		mkdir(dir, 0755);
		if (chdir(dir))
			_exit(3);
	}
	umask(mask);
	t->mask = mask;
	if (!getcwd(t->dir, sizeof(t->dir)) || stat(".", &t->st))
		_exit(3);
}

static void check(struct task *t)
{
	char path[PATH_MAX + 32], cwd[PATH_MAX], v[32];
	struct stat st;
	mode_t m = umask(0);
	int fd;

	umask(m);
	zdtm_check(m == t->mask, "%s: umask %03o, expected %03o", t->name, m, t->mask);
	zdtm_status_field("Umask", v, sizeof(v));
	zdtm_check(strtoul(v, NULL, 8) == t->mask, "%s: /proc says umask %s", t->name, v);
	zdtm_check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, t->dir), "%s: cwd %s, expected %s", t->name, cwd, t->dir);
	zdtm_check(stat(".", &st) == 0 && st.st_ino == t->st.st_ino && st.st_dev == t->st.st_dev,
		   "%s: '.' is another directory", t->name);
	snprintf(path, sizeof(path), "umask-probe.%s.%d", t->name, getpid());
	fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0666);
	zdtm_check(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == (0666 & ~t->mask),
		   "%s: a 0666 file came out %03o", t->name, fd >= 0 ? st.st_mode & 0777 : 0);
	if (fd >= 0)
		close(fd);
	unlink(path);
}

static int reap(pid_t c)
{
	int st = 0, i;
	for (i = 0; i < 1000; i++) {
		if (waitpid(c, &st, WNOHANG) == c)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		zdtm_sleep_ms(10);
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct task R = { "R" }, A = { "A" }, G = { "G" }, B = { "B" };
	char workdir[PATH_MAX], b;
	pid_t a, bb;
	int p[2], i;

	zdtm_init(argc, argv);
	snprintf(workdir, sizeof(workdir), "%s", zdtm_tmp_path("dirs"));
	mkdir(workdir, 0755);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	set_up(&R, workdir, 027);
	a = fork();
	if (a == 0) {
		pid_t g;
		set_up(&A, "a", 077);
		g = fork();
		if (g == 0) {
			set_up(&G, "g", 002);
			if (write(p[1], "g", 1) != 1)
				_exit(3);
			close(p[0]);
			close(p[1]);
			zdtm_wait_for_term();
			check(&G);
			_exit(zdtm_failures() ? 1 : 42);
		}
		if (g < 0 || write(p[1], "a", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check(&A);
		kill(g, SIGTERM);
		zdtm_check(reap(g) == 42, "G did not exit 42");
		_exit(zdtm_failures() ? 1 : 42);
	}
	bb = fork();
	if (bb == 0) {
		set_up(&B, NULL, 0);
		if (write(p[1], "b", 1) != 1)
			_exit(3);
		close(p[0]);
		close(p[1]);
		zdtm_wait_for_term();
		check(&B);
		_exit(zdtm_failures() ? 1 : 42);
	}
	if (a < 0 || bb < 0)
		zdtm_fail("fork: %m");
	close(p[1]);
	for (i = 0; i < 3; i++) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("a task did not report");
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	check(&R);
	kill(a, SIGTERM);
	kill(bb, SIGTERM);
	zdtm_check(reap(a) == 42, "A did not exit 42");
	zdtm_check(reap(bb) == 42, "B did not exit 42");
	zdtm_finish();
}
