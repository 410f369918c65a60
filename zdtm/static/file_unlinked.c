/*
 * file_unlinked: an open regular file whose name was removed (a "ghost" file).
 *
 * State: a temp file with 3 pages of pattern, mode 0640, open O_RDWR at offset 1000,
 * then unlink()ed. amber keeps its contents in the images and makes it again at
 * restore (a new inode on the same filesystem, unlinked again at once).
 * Check after SIGTERM: the fd still refers to a regular file with no links on the same
 * device, size 3 pages, mode 0640, offset 1000, the pattern; /proc/self/fd/N reads the
 * old path followed by " (deleted)"; the name was not left behind; a write through the
 * fd reads back and moves the offset.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE (3 * 4096)

int main(int argc, char **argv)
{
	char lp[64], link[4096], before_link[4096];
	uint8_t buf[SIZE];
	struct stat before, st;
	const char *path;
	ssize_t n;
	int fd;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("gone");
	zdtm_fill(buf, SIZE, 3);
	zdtm_write_file(path, buf, SIZE);
	fd = open(path, O_RDWR);
	if (fd < 0 || fchmod(fd, 0640) || lseek(fd, 1000, SEEK_SET) != 1000 || fstat(fd, &before) || unlink(path))
		zdtm_fail("set up %s: %m", path);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, before_link, sizeof(before_link) - 1);
	if (n <= 0)
		zdtm_fail("readlink %s: %m", lp);
	before_link[n] = '\0';

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0 && st.st_dev == before.st_dev &&
		   st.st_size == SIZE && (st.st_mode & 07777) == 0640,
		   "fstat: mode %o nlink %lu dev %lx (was %lx) size %lld", st.st_mode, (unsigned long)st.st_nlink,
		   (unsigned long)st.st_dev, (unsigned long)before.st_dev, (long long)st.st_size);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 1000, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, SIZE);
	zdtm_check(pread(fd, buf, SIZE, 0) == SIZE && zdtm_verify(buf, SIZE, 3) < 0, "contents differ");
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, before_link), "fd -> '%s', was '%s'", link, before_link);
	zdtm_check(access(path, F_OK) != 0, "%s exists again after restore", path);
	zdtm_check(write(fd, "abc", 3) == 3 && lseek(fd, 0, SEEK_CUR) == 1003, "write at the offset failed");
	zdtm_check(pread(fd, buf, 3, 1000) == 3 && !memcmp(buf, "abc", 3), "written bytes do not read back");
	zdtm_finish();
}
