/*
 * memfd_held: a sealed memfd, open and mapped: the mapping maps the restored memfd itself.
 *
 * State: memfd_create("amber-memfd", MFD_ALLOW_SEALING) grown to 256 KiB, filled with a
 * pattern through a MAP_SHARED mapping, sealed with F_SEAL_SHRINK | F_SEAL_GROW; its fd
 * keeps offset 1000.
 * Check after SIGTERM: the fd's link is "/memfd:amber-memfd (deleted)", size 256 KiB,
 * seals exactly SHRINK|GROW, offset 1000; the mapping and pread() both show the pattern; a
 * write through the mapping is seen by pread() (same object); ftruncate is refused (EPERM).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN (256 << 10)

int main(int argc, char **argv)
{
	char path[64], link[256];
	struct stat st;
	uint8_t *m, *buf;
	ssize_t n;
	int fd;

	zdtm_init(argc, argv);
	fd = memfd_create("amber-memfd", MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, LEN))
		zdtm_fail("memfd: %m");
	m = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(m, LEN, 55);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) || lseek(fd, 1000, SEEK_SET) != 1000)
		zdtm_fail("seal/lseek: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	zdtm_check(!strcmp(link, "/memfd:amber-memfd (deleted)"), "link %s", link);
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == LEN, "size %lld", (long long)st.st_size);
	zdtm_check(fcntl(fd, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_GROW), "seals %#x", fcntl(fd, F_GET_SEALS));
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 1000, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	zdtm_check(zdtm_verify(m, LEN, 55) < 0, "mapping differs");
	buf = xmalloc(LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 55) < 0, "file data differs");
	m[12345] ^= 0xff;
	zdtm_check(pread(fd, buf, 1, 12345) == 1 && buf[0] == m[12345], "the mapping is not the memfd");
	errno = 0;
	zdtm_check(ftruncate(fd, LEN / 2) == -1 && errno == EPERM, "shrinking a sealed memfd worked (%m)");
	zdtm_finish();
}
