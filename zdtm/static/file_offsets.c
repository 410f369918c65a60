/*
 * file_offsets: regular files open with different modes and offsets.
 *
 * State: file A (8 KiB pattern) open O_RDONLY at offset 1234 and again
 * O_RDONLY|O_NONBLOCK|O_NOATIME at 4321 (two open file descriptions);
 * file B (4 KiB) O_WRONLY at 5000, past its end; file C (4 KiB) O_RDWR at
 * 77 plus a dup() of it (one shared description); file D O_RDWR|O_SYNC at
 * 0. F_GETFL, offsets, fdinfo and inodes are recorded.
 * Check after SIGTERM: for every fd, F_GETFL and lseek(SEEK_CUR) equal the
 * recorded values (and the intended flags), /proc/self/fdinfo pos agrees,
 * /proc/self/fd/N names the file and fstat() gives its inode; reading A
 * gives the pattern at 1234 and does not move A's second fd; moving the
 * dup moves C; writing B at 5000 extends B with a zero-filled hole.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N 6
/* The flags the test chose; the kernel adds its own (O_LARGEFILE). */
#define MASK (O_ACCMODE | O_NONBLOCK | O_NOATIME | O_SYNC | O_DSYNC | O_APPEND)

static const struct { const char *file; int flags; off_t off; } spec[N] = {
	{ "A", O_RDONLY, 1234 }, { "A", O_RDONLY | O_NONBLOCK | O_NOATIME, 4321 },
	{ "B", O_WRONLY, 5000 }, { "C", O_RDWR, 77 }, { "C", -1 /* dup of C */, 77 },
	{ "D", O_RDWR | O_SYNC, 0 },
};

static long long fdinfo_pos(int fd)
{
	char path[64], buf[1024];
	long long pos = -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	sscanf(buf, "pos: %lld", &pos);
	return pos;
}

int main(int argc, char **argv)
{
	int fd[N], fl[N], i;
	struct stat st[N], s;
	const char *path[N];
	uint8_t buf[8192], rd[16];
	char link[4096], lp[64];

	zdtm_init(argc, argv);
	zdtm_fill(buf, sizeof(buf), 1);
	zdtm_write_file(zdtm_tmp_path("A"), buf, 8192);
	zdtm_write_file(zdtm_tmp_path("B"), buf, 4096);
	zdtm_write_file(zdtm_tmp_path("C"), buf, 4096);
	zdtm_write_file(zdtm_tmp_path("D"), buf, 100);
	for (i = 0; i < N; i++) {
		path[i] = zdtm_tmp_path(spec[i].file);
		fd[i] = spec[i].flags < 0 ? dup(fd[i - 1]) : open(path[i], spec[i].flags);
		if (fd[i] < 0 || lseek(fd[i], spec[i].off, SEEK_SET) != spec[i].off)
			zdtm_fail("open %s: %m", path[i]);
		fl[i] = fcntl(fd[i], F_GETFL);
		fstat(fd[i], &st[i]);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < N; i++) {
		int want = spec[i].flags < 0 ? spec[i - 1].flags : spec[i].flags, got = fcntl(fd[i], F_GETFL);
		zdtm_check(got == fl[i] && (got & MASK) == want, "fd %d: F_GETFL %#o, was %#o, opened %#o",
			   fd[i], got, fl[i], want);
		zdtm_check(lseek(fd[i], 0, SEEK_CUR) == spec[i].off, "fd %d: offset %lld, expected %lld",
			   fd[i], (long long)lseek(fd[i], 0, SEEK_CUR), (long long)spec[i].off);
		zdtm_check(fdinfo_pos(fd[i]) == spec[i].off, "fd %d: fdinfo pos %lld", fd[i], fdinfo_pos(fd[i]));
		zdtm_check(fstat(fd[i], &s) == 0 && s.st_ino == st[i].st_ino && s.st_dev == st[i].st_dev,
			   "fd %d: another file", fd[i]);
		snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd[i]);
		memset(link, 0, sizeof(link));
		zdtm_check(readlink(lp, link, sizeof(link) - 1) > 0 && !strcmp(link, path[i]),
			   "fd %d -> '%s', expected '%s'", fd[i], link, path[i]);
	}
	zdtm_check(read(fd[0], rd, 16) == 16 && zdtm_verify_at(rd, 16, 1, 1234) < 0,
		   "A does not read the pattern at 1234");
	zdtm_check(lseek(fd[1], 0, SEEK_CUR) == 4321, "reading A's first fd moved its second");
	lseek(fd[4], 10, SEEK_CUR);
	zdtm_check(lseek(fd[3], 0, SEEK_CUR) == 87, "C and its dup no longer share the offset");
	zdtm_check(write(fd[2], "xyz", 3) == 3 && fstat(fd[2], &s) == 0 && s.st_size == 5003,
		   "write to B at 5000: size %lld, expected 5003", (long long)s.st_size);
	zdtm_check(pread(fd[3], rd, 1, 0) == 1, "pread C");
	for (i = 0; i < N; i++)
		unlink(path[i]);
	zdtm_finish();
}
