/*
 * file_unlinked_too_big: an unlinked file with more data than --ghost-limit allows.
 *
 * State: a temp file with 256 KiB of pattern 81 (no holes), open O_RDONLY at offset 9000,
 * unlinked; the test's metadata dumps with --ghost-limit 64K, so the dump must refuse
 * (flag crfail) and leave the test as it was.
 * Check after SIGTERM: the fd still refers to the same inode, with no links, 256 KiB of the
 * pattern, at offset 9000.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE (256 << 10)

int main(int argc, char **argv)
{
	struct stat before, st;
	const char *path;
	uint8_t *buf;
	int fd;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("big");
	buf = xmalloc(SIZE);
	zdtm_fill(buf, SIZE, 81);
	zdtm_write_file(path, buf, SIZE);
	fd = open(path, O_RDONLY);
	if (fd < 0 || lseek(fd, 9000, SEEK_SET) != 9000 || fstat(fd, &before) || unlink(path))
		zdtm_fail("set up %s: %m", path);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_ino == before.st_ino && st.st_dev == before.st_dev &&
		   st.st_size == SIZE, "fstat: nlink %lu ino %lu size %lld", (unsigned long)st.st_nlink,
		   (unsigned long)st.st_ino, (long long)st.st_size);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 9000, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	memset(buf, 0, SIZE);
	zdtm_check(pread(fd, buf, SIZE, 0) == SIZE && zdtm_verify(buf, SIZE, 81) < 0, "contents differ");
	zdtm_finish();
}
