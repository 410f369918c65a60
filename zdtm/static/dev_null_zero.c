/*
 * dev_null_zero: fds on character devices.
 *
 * State: /dev/null O_RDWR, /dev/zero O_RDONLY, /dev/urandom O_RDONLY,
 * /dev/full O_WRONLY, /dev/zero again O_RDWR|O_NONBLOCK.
 * Check after SIGTERM: each fd is a character device with the right
 * device number (1:3, 1:5, 1:9, 1:7, 1:5; also equal to what fstat said
 * before) and the same F_GETFL; and each behaves like its device: null
 * reads EOF and swallows writes, zero reads zeros, urandom reads bytes
 * that are neither all zero nor repeated, full refuses writes with ENOSPC.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define N 5
static const struct { const char *path; int flags; unsigned minor; } dev[N] = {
	{ "/dev/null", O_RDWR, 3 }, { "/dev/zero", O_RDONLY, 5 }, { "/dev/urandom", O_RDONLY, 9 },
	{ "/dev/full", O_WRONLY, 7 }, { "/dev/zero", O_RDWR | O_NONBLOCK, 5 },
};

int main(int argc, char **argv)
{
	int fd[N], fl[N], i;
	struct stat before[N], st;
	uint8_t a[64], b[64];

	zdtm_init(argc, argv);
	for (i = 0; i < N; i++) {
		fd[i] = open(dev[i].path, dev[i].flags);
		if (fd[i] < 0 || fstat(fd[i], &before[i]))
			zdtm_fail("open %s: %m", dev[i].path);
		fl[i] = fcntl(fd[i], F_GETFL);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < N; i++) {
		zdtm_check(fstat(fd[i], &st) == 0 && S_ISCHR(st.st_mode) &&
			   st.st_rdev == makedev(1, dev[i].minor) && st.st_rdev == before[i].st_rdev,
			   "fd %d (%s): rdev %u:%u, expected 1:%u", fd[i], dev[i].path, major(st.st_rdev),
			   minor(st.st_rdev), dev[i].minor);
		zdtm_check(fcntl(fd[i], F_GETFL) == fl[i], "fd %d (%s): F_GETFL %#o, was %#o", fd[i],
			   dev[i].path, fcntl(fd[i], F_GETFL), fl[i]);
	}
	zdtm_check(read(fd[0], a, sizeof(a)) == 0, "/dev/null read is not EOF");
	zdtm_check(write(fd[0], a, sizeof(a)) == sizeof(a), "/dev/null write failed");
	memset(a, 0xff, sizeof(a));
	zdtm_check(read(fd[1], a, sizeof(a)) == sizeof(a) && zdtm_find_nonzero(a, sizeof(a)) < 0,
		   "/dev/zero did not read zeros");
	memset(a, 0xff, sizeof(a));
	zdtm_check(read(fd[4], a, sizeof(a)) == sizeof(a) && zdtm_find_nonzero(a, sizeof(a)) < 0,
		   "second /dev/zero did not read zeros");
	zdtm_check(read(fd[2], a, sizeof(a)) == sizeof(a) && read(fd[2], b, sizeof(b)) == sizeof(b) &&
		   zdtm_find_nonzero(a, sizeof(a)) >= 0 && memcmp(a, b, sizeof(a)),
		   "/dev/urandom does not read random bytes");
	errno = 0;
	zdtm_check(write(fd[3], a, 1) == -1 && errno == ENOSPC, "/dev/full write did not fail with ENOSPC");
	zdtm_finish();
}
