/*
 * file_unlinked_sparse: an unlinked 100 MiB file with two pages of data.
 *
 * State: a temp file truncated to 100 MiB, page 3 and the page at 77 MiB written (patterns
 * 61, 62), open O_RDWR at offset 4242, then unlinked; its data/hole layout (SEEK_DATA,
 * SEEK_HOLE) and st_blocks are recorded. Its data (8 KiB) are far below the default
 * --ghost-limit, though its size is not.
 * Check after SIGTERM: no links, size 100 MiB, the same data/hole layout, st_blocks small
 * (no more than twice before plus a few metadata blocks, under 1 MiB), both pages hold their
 * patterns, holes read zero, offset 4242, the link reads the old path + " (deleted)".
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096L
#define SIZE (100L << 20)
#define MAX_RUNS 16

static const off_t pages[2] = { 3 * PG, 77L << 20 };

struct run { off_t data, hole; };

static int layout(int fd, struct run *r)
{
	off_t pos = 0;
	int n = 0;
	for (;;) {
		off_t d = lseek(fd, pos, SEEK_DATA);
		if (d < 0)
			return errno == ENXIO ? n : -1;
		if (n == MAX_RUNS)
			return -1;
		r[n].data = d;
		r[n].hole = lseek(fd, d, SEEK_HOLE);
		if (r[n].hole < 0)
			return -1;
		pos = r[n++].hole;
	}
}

int main(int argc, char **argv)
{
	char lp[64], link[4096], before_link[4096];
	struct run before[MAX_RUNS], after[MAX_RUNS];
	struct stat st0, st;
	uint8_t buf[PG];
	const char *path;
	int fd, nb, na, i;
	ssize_t n;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("sparse");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, SIZE))
		zdtm_fail("create %s: %m", path);
	for (i = 0; i < 2; i++) {
		zdtm_fill_at(buf, PG, 61 + i, pages[i]);
		if (pwrite(fd, buf, PG, pages[i]) != PG)
			zdtm_fail("pwrite: %m");
	}
	if (fsync(fd) || unlink(path))
		zdtm_fail("set up: %m");
	nb = layout(fd, before);
	if (nb < 1 || fstat(fd, &st0) || lseek(fd, 4242, SEEK_SET) != 4242)
		zdtm_fail("layout/fstat: %m");
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, before_link, sizeof(before_link) - 1);
	if (n <= 0)
		zdtm_fail("readlink: %m");
	before_link[n] = '\0';
	zdtm_log("%d data runs, %lld blocks", nb, (long long)st0.st_blocks);

	zdtm_ready();
	zdtm_wait_for_term();

	/* First: walking the layout moves the offset. */
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 4242, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	zdtm_check(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_size == SIZE, "nlink %lu size %lld",
		   (unsigned long)st.st_nlink, (long long)st.st_size);
	zdtm_check(st.st_blocks <= 2 * st0.st_blocks + 64 && st.st_blocks * 512 < (1 << 20), "st_blocks %lld, was %lld",
		   (long long)st.st_blocks, (long long)st0.st_blocks);
	na = layout(fd, after);
	zdtm_check(na == nb, "%d data runs, was %d", na, nb);
	for (i = 0; i < na && i < nb; i++)
		zdtm_check(after[i].data == before[i].data && after[i].hole == before[i].hole,
			   "run %d is %lld-%lld, was %lld-%lld", i, (long long)after[i].data, (long long)after[i].hole,
			   (long long)before[i].data, (long long)before[i].hole);
	for (i = 0; i < 2; i++)
		zdtm_check(pread(fd, buf, PG, pages[i]) == PG && zdtm_verify_at(buf, PG, 61 + i, pages[i]) < 0,
			   "page at %lld differs", (long long)pages[i]);
	zdtm_check(pread(fd, buf, PG, 50L << 20) == PG && zdtm_find_nonzero(buf, PG) < 0, "a hole reads nonzero");
	zdtm_check(pread(fd, buf, PG, 0) == PG && zdtm_find_nonzero(buf, PG) < 0, "page 0 reads nonzero");
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, before_link), "fd -> '%s', was '%s'", link, before_link);
	zdtm_finish();
}
