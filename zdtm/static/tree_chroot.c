/*
 * tree_chroot: a child confined by chroot() with a working directory inside, and its child
 * that inherited the root; the parent keeps the real root.
 *
 * State: a work directory D with a file "inside" (pattern) and a directory "sub". Child C
 * chroot()s into D, chdir("/sub"), opens "/inside" (fd F, offset 7) and forks G, which
 * chdir("/"). The test R stays at the real root.
 * Check after SIGTERM: /proc/C/root and /proc/G/root name D, /proc/self/root of R is "/",
 * /proc/C/cwd is D/sub, /proc/G/cwd D. C (told through a shared page) checks stat("/") is
 * D's inode, getcwd "/sub", "/inside" opens with the pattern, F's offset 7 and inode, "..
 * of /" is still "/" (no way out); G checks stat("/") is D's inode and getcwd "/".
 */
#include "kid_util.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static volatile int *sh;	/* [0] C ready [1] G pid [2] go [3] C done [4] G done */
static struct stat dst;

static int link_is(pid_t pid, const char *what, const char *want)
{
	char p[64], b[PATH_MAX];
	ssize_t n;
	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, what);
	n = readlink(p, b, sizeof(b) - 1);
	b[n > 0 ? n : 0] = 0;
	return zdtm_check(!strcmp(b, want), "%s of %d is '%s', expected '%s'", what, (int)pid, b, want);
}

static void inside_checks(const char *who, const char *cwd)
{
	struct stat st;
	char b[PATH_MAX];
	zdtm_check(stat("/", &st) == 0 && st.st_ino == dst.st_ino && st.st_dev == dst.st_dev, "%s: / is not D", who);
	zdtm_check(stat("/..", &st) == 0 && st.st_ino == dst.st_ino, "%s: /.. leads out of the root", who);
	zdtm_check(getcwd(b, sizeof(b)) && !strcmp(b, cwd), "%s: getcwd '%s', expected '%s'", who, b, cwd);
}

int main(int argc, char **argv)
{
	char d[PATH_MAX - 16], path[PATH_MAX];
	uint8_t buf[300];
	pid_t c;
	int fd;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	snprintf(d, sizeof(d), "%s", zdtm_tmp_path("root"));
	mkdir(d, 0755);
	snprintf(path, sizeof(path), "%s/sub", d);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/inside", d);
	zdtm_fill(buf, sizeof(buf), 616);
	zdtm_write_file(path, buf, sizeof(buf));
	if (stat(d, &dst))
		zdtm_fail("stat %s: %m", d);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		struct stat fst, st;
		int before;
		pid_t g;
		if (chroot(d) || chdir("/sub"))
			_exit(10);
		fd = open("/inside", O_RDONLY);
		if (fd < 0 || lseek(fd, 7, SEEK_SET) != 7 || fstat(fd, &fst))
			_exit(11);
		g = fork();
		if (g == 0) {
			if (chdir("/"))
				_exit(12);
			kid_set_word(&sh[1], getpid());
			while (!kid_wait_word(&sh[2], 1, 1000000))
				;
			before = zdtm_failures();
			inside_checks("G", "/");
			kid_set_word(&sh[4], 1);
			_exit(zdtm_failures() != before);
		}
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[2], 1, 1000000))
			;
		before = zdtm_failures();
		inside_checks("C", "/sub");
		zdtm_check(lseek(fd, 0, SEEK_CUR) == 7 && fstat(fd, &st) == 0 && st.st_ino == fst.st_ino, "C: F moved or changed");
		{
			int g2 = open("/inside", O_RDONLY);
			uint8_t b2[300];
			zdtm_check(g2 >= 0 && read(g2, b2, sizeof(b2)) == sizeof(b2) && zdtm_verify(b2, sizeof(b2), 616) < 0,
				   "C: /inside does not open with its data: %m");
		}
		zdtm_check(kid_reap_ok(g, "G", 5000), "C: G failed");
		kid_set_word(&sh[3], 1);
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000) || !kid_wait_word(&sh[1], 1, 5000))
		zdtm_fail("the children did not get ready");
	zdtm_log("root %s, C %d, G %d", d, (int)c, sh[1]);

	zdtm_ready();
	zdtm_wait_for_term();

	link_is(getpid(), "root", "/");
	link_is(c, "root", d);
	link_is(sh[1], "root", d);
	snprintf(path, sizeof(path), "%s/sub", d);
	link_is(c, "cwd", path);
	link_is(sh[1], "cwd", d);
	kid_set_word(&sh[2], 1);
	zdtm_check(kid_wait_word(&sh[3], 1, 5000), "C did not finish");
	kid_reap_ok(c, "C", 5000);
	zdtm_finish();
}
