/*
 * file_unlinked: an open regular file whose name was removed.
 *
 * State: a temp file with 3 pages of pattern, open O_RDWR at offset 1000,
 * then unlink()ed. amber does not dump unlinked files yet: the dump must
 * fail cleanly and leave this test running (flag crfail).
 * Check after SIGTERM: the fd still refers to a file with no links, the
 * same inode, size 3 pages, offset 1000, the pattern, and
 * /proc/self/fd/N ends in " (deleted)".
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
	char lp[64], link[4096];
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
	if (fd < 0 || lseek(fd, 1000, SEEK_SET) != 1000 || fstat(fd, &before) || unlink(path))
		zdtm_fail("set up %s: %m", path);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_ino == before.st_ino &&
		   st.st_size == SIZE, "fstat: nlink %lu ino %lu size %lld", (unsigned long)st.st_nlink,
		   (unsigned long)st.st_ino, (long long)st.st_size);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 1000, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, SIZE);
	zdtm_check(pread(fd, buf, SIZE, 0) == SIZE && zdtm_verify(buf, SIZE, 3) < 0, "contents differ");
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(n > 10 && !strcmp(link + n - 10, " (deleted)"), "fd -> '%s'", link);
	zdtm_finish();
}
