/*
 * dir_fd: a directory open with O_RDONLY|O_DIRECTORY.
 *
 * State: a temp directory holding a file "inner" (known contents), open
 * as a directory fd; its inode, F_GETFL and offset are recorded.
 * Check after SIGTERM: fstat() of the fd is the same directory (device,
 * inode, S_ISDIR); F_GETFL and offset (0) unchanged; /proc/self/fd/N
 * names the directory; openat(fd, "inner") reads the contents; listing
 * the directory through the fd finds "inner".
 */
#include "zdtm.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTENT "inner file contents\n"

int main(int argc, char **argv)
{
	char inner[4096], link[4096], lp[64], buf[64];
	struct stat before, st;
	struct dirent *de;
	const char *dir;
	int dfd, fl, fd, found = 0;
	ssize_t n;
	DIR *d;

	zdtm_init(argc, argv);
	dir = zdtm_tmp_path("dir");
	mkdir(dir, 0755);
	snprintf(inner, sizeof(inner), "%s/inner", dir);
	zdtm_write_file(inner, CONTENT, strlen(CONTENT));
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fstat(dfd, &before))
		zdtm_fail("open %s: %m", dir);
	fl = fcntl(dfd, F_GETFL);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == before.st_ino &&
		   st.st_dev == before.st_dev, "the fd is another file");
	zdtm_check(fcntl(dfd, F_GETFL) == fl && (fl & O_DIRECTORY), "F_GETFL %#o, was %#o",
		   fcntl(dfd, F_GETFL), fl);
	zdtm_check(lseek(dfd, 0, SEEK_CUR) == 0, "offset %lld", (long long)lseek(dfd, 0, SEEK_CUR));
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", dfd);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, dir), "fd -> '%s', expected '%s'", link, dir);
	fd = openat(dfd, "inner", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	zdtm_check(n == (ssize_t)strlen(CONTENT) && !memcmp(buf, CONTENT, n), "openat(inner) read %zd bytes", n);
	d = fdopendir(dup(dfd));
	while (d && (de = readdir(d)))
		if (!strcmp(de->d_name, "inner"))
			found = 1;
	zdtm_check(found, "listing through the fd does not find 'inner'");
	unlink(inner);
	rmdir(dir);
	zdtm_finish();
}
