/*
 * cwd_deep_umask0: umask 0 and a working directory 15 levels deep (a path of about 3000
 * bytes), with files opened by relative paths.
 *
 * State: under the outfile's directory, 15 nested directories with 200-byte names; the test
 * chdir()s into the deepest, sets umask 0, creates "f" (mode 0666 asked, so 0666) and opens
 * it O_RDWR by the relative name (fd F, offset 123 after writing a pattern), opens "..", by
 * relative path, O_DIRECTORY (fd D).
 * Check after SIGTERM: umask() is 0 (and Umask in /proc/self/status); getcwd gives the deep
 * path, stat(".") is its inode; F's /proc link is the deep path + "/f", its offset 123 and
 * data; D is the parent directory (inode); relative opens still work: stat("f") is F's
 * inode, openat(D, NAME/f) too; a new file made with mode 0666 and a directory with 0777
 * get exactly those modes (umask 0).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEPTH 15
#define NLEN 200

int main(int argc, char **argv)
{
	char name[NLEN + 1], *deep, cwd[PATH_MAX + 1], link[PATH_MAX + 1], lp[64], want[PATH_MAX + 8];
	const char *base;
	uint8_t buf[1000];
	struct stat here, fst, dst, st;
	int i, f, d, g;
	size_t len;
	ssize_t n;

	zdtm_init(argc, argv);
	base = zdtm_tmp_path("deep");
	mkdir(base, 0755);
	if (chdir(base))
		zdtm_fail("chdir %s: %m", base);
	memset(name, 'd', NLEN);
	name[NLEN] = 0;
	for (i = 0; i < DEPTH; i++) {
		name[0] = 'a' + i;
		if ((mkdir(name, 0755) && errno != EEXIST) || chdir(name))
			zdtm_fail("mkdir/chdir level %d: %m", i);
	}
	umask(0);
	if (!getcwd(cwd, sizeof(cwd)))
		zdtm_fail("getcwd: %m");
	deep = xstrdup(cwd);
	len = strlen(deep);
	f = open("f", O_RDWR | O_CREAT | O_TRUNC, 0666);
	zdtm_fill(buf, sizeof(buf), 404);
	if (f < 0 || write(f, buf, sizeof(buf)) != sizeof(buf) || lseek(f, 123, SEEK_SET) != 123)
		zdtm_fail("f: %m");
	d = open("..", O_RDONLY | O_DIRECTORY);
	if (d < 0)
		zdtm_fail("open ..: %m");
	stat(".", &here);
	fstat(f, &fst);
	fstat(d, &dst);
	zdtm_log("cwd of %zu bytes", len);

	zdtm_ready();
	zdtm_wait_for_term();

	{
		mode_t u = umask(0);
		char s[32];
		zdtm_check(u == 0, "umask %04o, expected 0", u);
		zdtm_status_field("Umask", s, sizeof(s));
		zdtm_check(!strcmp(s, "0000"), "/proc Umask %s, expected 0000", s);
	}
	zdtm_check(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, deep), "getcwd: '%.60s...' (%zu bytes), expected %zu bytes",
		   cwd, strlen(cwd), len);
	zdtm_check(stat(".", &st) == 0 && st.st_ino == here.st_ino && st.st_dev == here.st_dev, "'.' is another directory");
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", f);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%s/f", deep);
	zdtm_check(!strcmp(link, want), "F's link is %zd bytes, expected %zu", n, strlen(want));
	zdtm_check(lseek(f, 0, SEEK_CUR) == 123, "F's offset %lld, expected 123", (long long)lseek(f, 0, SEEK_CUR));
	memset(buf, 0, sizeof(buf));
	zdtm_check(pread(f, buf, sizeof(buf), 0) == sizeof(buf) && zdtm_verify(buf, sizeof(buf), 404) < 0, "F's data differs");
	zdtm_check(fstat(f, &st) == 0 && st.st_ino == fst.st_ino && (st.st_mode & 07777) == 0666, "F: ino %lu mode %o",
		   (unsigned long)st.st_ino, st.st_mode & 07777);
	zdtm_check(fstat(d, &st) == 0 && st.st_ino == dst.st_ino, "D is another directory");
	zdtm_check(stat("f", &st) == 0 && st.st_ino == fst.st_ino, "relative 'f' is another file");
	name[0] = 'a' + DEPTH - 1;
	snprintf(want, sizeof(want), "%s/f", name);
	g = openat(d, want, O_RDONLY);
	zdtm_check(g >= 0 && fstat(g, &st) == 0 && st.st_ino == fst.st_ino, "openat(D, NAME/f) is not F: %m");
	if (g >= 0)
		close(g);
	g = open("new", O_RDWR | O_CREAT | O_EXCL, 0666);
	zdtm_check(g >= 0 && fstat(g, &st) == 0 && (st.st_mode & 07777) == 0666, "a new file got mode %o, expected 0666",
		   st.st_mode & 07777);
	zdtm_check(mkdir("newdir", 0777) == 0 && stat("newdir", &st) == 0 && (st.st_mode & 07777) == 0777,
		   "a new directory got mode %o, expected 0777", st.st_mode & 07777);
	unlink("new");
	rmdir("newdir");
	zdtm_finish();
}
