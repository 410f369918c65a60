/*
 * file_opath: O_PATH fds of a regular file and of a directory.
 *
 * State: a directory D holding a file "inner" (known contents) and a file F outside it;
 * an O_PATH fd of F and an O_PATH|O_DIRECTORY fd of D; their F_GETFL and inodes are recorded.
 * Check after SIGTERM: F_GETFL is as before and shows O_PATH; fstat of each fd gives the same
 * inode and type; reading through the O_PATH fd of F fails with EBADF (it is still O_PATH,
 * not an ordinary fd); opening /proc/self/fd/N of F for reading gives its contents;
 * openat(dirfd, "inner") reads the inner file; /proc/self/fd/N names both paths.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INNER "inner file contents\n"
#define OUTER "the O_PATH file itself\n"

static void check_link(int fd, const char *want)
{
	char lp[64], link[4096];
	ssize_t n;

	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, want), "fd %d -> '%s', expected '%s'", fd, link, want);
}

int main(int argc, char **argv)
{
	char inner[4096], lp[64], buf[64];
	struct stat fst, dst, st;
	const char *dir, *file;
	int pf, pd, ffl, dfl, fd;
	ssize_t n;

	zdtm_init(argc, argv);
	dir = zdtm_tmp_path("dir");
	file = zdtm_tmp_path("file");
	mkdir(dir, 0755);
	snprintf(inner, sizeof(inner), "%s/inner", dir);
	zdtm_write_file(inner, INNER, strlen(INNER));
	zdtm_write_file(file, OUTER, strlen(OUTER));
	pf = open(file, O_PATH);
	pd = open(dir, O_PATH | O_DIRECTORY);
	if (pf < 0 || pd < 0 || fstat(pf, &fst) || fstat(pd, &dst))
		zdtm_fail("O_PATH opens: %m");
	ffl = fcntl(pf, F_GETFL);
	dfl = fcntl(pd, F_GETFL);
	if (!(ffl & O_PATH) || !(dfl & O_PATH))
		zdtm_fail("no O_PATH in F_GETFL before the checkpoint (%#o %#o)", ffl, dfl);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fcntl(pf, F_GETFL) == ffl, "file: F_GETFL %#o, was %#o", fcntl(pf, F_GETFL), ffl);
	zdtm_check(fcntl(pd, F_GETFL) == dfl, "dir: F_GETFL %#o, was %#o", fcntl(pd, F_GETFL), dfl);
	zdtm_check(fstat(pf, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == fst.st_ino && st.st_dev == fst.st_dev,
		   "file: fstat shows another file");
	zdtm_check(fstat(pd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == dst.st_ino && st.st_dev == dst.st_dev,
		   "dir: fstat shows another file");
	errno = 0;
	n = read(pf, buf, sizeof(buf));
	zdtm_check(n < 0 && errno == EBADF, "read through the O_PATH fd gave %zd (%m), expected EBADF", n);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", pf);
	fd = open(lp, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	zdtm_check(n == (ssize_t)strlen(OUTER) && !memcmp(buf, OUTER, n), "reopen of the O_PATH file read %zd", n);
	if (fd >= 0)
		close(fd);
	fd = openat(pd, "inner", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	zdtm_check(n == (ssize_t)strlen(INNER) && !memcmp(buf, INNER, n), "openat(dirfd, inner) read %zd (%m)", n);
	if (fd >= 0)
		close(fd);
	check_link(pf, file);
	check_link(pd, dir);
	unlink(inner);
	rmdir(dir);
	unlink(file);
	zdtm_finish();
}
