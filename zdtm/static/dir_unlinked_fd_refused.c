/*
 * dir_unlinked_fd_refused: a removed directory still held as the open fd (O_RDONLY|O_DIRECTORY).
 *
 * amber does not recreate removed directories: the dump must be refused, naming the
 * fd, and leave the task running.
 * State: mkdir a directory in the test's folder, open it, rmdir it.
 * Check after SIGTERM: the directory held is the same inode, now with no links
 * (st_nlink 0), creating a file in it fails with ENOENT, and /proc/self/fd/N names it
 * with " (deleted)".
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char want[4096], link[4096];
	struct stat before, st;
	const char *dir;
	int dfd, fd;
	ssize_t n;

	zdtm_init(argc, argv);
	dir = zdtm_tmp_path("gone");
	if (mkdir(dir, 0750))
		zdtm_fail("mkdir %s: %m", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || fstat(dfd, &before))
		zdtm_fail("open %s: %m", dir);
	if (rmdir(dir))
		zdtm_fail("rmdir %s: %m", dir);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(dfd, &st) == 0, "fstat: %m");
	{
		char lp[64];
		snprintf(lp, sizeof(lp), "/proc/self/fd/%d", dfd);
		n = readlink(lp, link, sizeof(link) - 1);
	}
	zdtm_check(st.st_ino == before.st_ino && st.st_dev == before.st_dev && S_ISDIR(st.st_mode),
		   "another directory is held");
	zdtm_check(st.st_nlink == 0, "the directory has %lu links, expected none", (unsigned long)st.st_nlink);
	errno = 0;
	fd = openat(dfd, "new", O_WRONLY | O_CREAT, 0644);
	zdtm_check(fd < 0 && errno == ENOENT, "creating a file in the removed directory gave %d (%m)", fd);
	link[n < 0 ? 0 : n] = '\0';
	snprintf(want, sizeof(want), "%s (deleted)", dir);
	zdtm_check(!strcmp(link, want), "link '%s', expected '%s'", link, want);
	zdtm_finish();
}
