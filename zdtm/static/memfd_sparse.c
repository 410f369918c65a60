/*
 * memfd_sparse: a 1 GiB memfd with three pages of data.
 *
 * State: memfd "amber-sparse" truncated to 1 GiB; pages 0, 131079 (512 MiB + 7 pages) and
 * the last one written with pwrite (patterns 41, 42, 43); the data/hole layout (SEEK_DATA,
 * SEEK_HOLE) and st_blocks are recorded; the fd is left at offset 123456.
 * Check after SIGTERM: size 1 GiB, the same data/hole layout, st_blocks no larger than
 * before (and under 1 MiB: the holes were not filled), the three pages hold their
 * patterns, bytes read in holes are zero, offset 123456.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096L
#define SIZE (1L << 30)
#define MAX_RUNS 16

static const off_t pages[3] = { 0, (512L << 20) + 7 * PG, SIZE - PG };

struct run { off_t data, hole; };

/* The data runs of fd, as SEEK_DATA/SEEK_HOLE report them; -1 on overflow or error. */
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
	struct run before[MAX_RUNS], after[MAX_RUNS];
	struct stat st0, st;
	uint8_t buf[PG];
	int fd, nb, na, i;

	zdtm_init(argc, argv);
	fd = memfd_create("amber-sparse", 0);
	if (fd < 0 || ftruncate(fd, SIZE))
		zdtm_fail("memfd: %m");
	for (i = 0; i < 3; i++) {
		zdtm_fill_at(buf, PG, 41 + i, pages[i]);
		if (pwrite(fd, buf, PG, pages[i]) != PG)
			zdtm_fail("pwrite: %m");
	}
	nb = layout(fd, before);
	if (nb < 1 || fstat(fd, &st0) || lseek(fd, 123456, SEEK_SET) != 123456)
		zdtm_fail("layout/fstat: %m");
	zdtm_log("%d data runs, %lld blocks", nb, (long long)st0.st_blocks);

	zdtm_ready();
	zdtm_wait_for_term();

	/* First: walking the layout moves the offset. */
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 123456, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == SIZE, "size %lld", (long long)st.st_size);
	zdtm_check(st.st_blocks <= st0.st_blocks && st.st_blocks * 512 < (1 << 20), "st_blocks %lld, was %lld",
		   (long long)st.st_blocks, (long long)st0.st_blocks);
	na = layout(fd, after);
	zdtm_check(na == nb, "%d data runs, was %d", na, nb);
	for (i = 0; i < na && i < nb; i++)
		zdtm_check(after[i].data == before[i].data && after[i].hole == before[i].hole,
			   "run %d is %lld-%lld, was %lld-%lld", i, (long long)after[i].data, (long long)after[i].hole,
			   (long long)before[i].data, (long long)before[i].hole);
	for (i = 0; i < 3; i++)
		zdtm_check(pread(fd, buf, PG, pages[i]) == PG && zdtm_verify_at(buf, PG, 41 + i, pages[i]) < 0,
			   "page at %lld differs", (long long)pages[i]);
	zdtm_check(pread(fd, buf, PG, 300L << 20) == PG && zdtm_find_nonzero(buf, PG) < 0, "a hole reads nonzero");
	zdtm_check(pread(fd, buf, PG, PG) == PG && zdtm_find_nonzero(buf, PG) < 0, "page 1 reads nonzero");
	zdtm_finish();
}
