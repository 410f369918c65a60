/*
 * file_shared_map: a MAP_SHARED writable mapping of a regular file.
 *
 * State: a temp file of 12 pages with pattern A, mapped MAP_SHARED rw at
 * file offset 1 page (10 pages); map pages 0, 3 and 9 are overwritten with
 * pattern B through the mapping; the fd is closed.
 * Check after SIGTERM: the mapping is rw-s, same file, inode and offset;
 * the file (read with pread) holds B on the written pages and A elsewhere,
 * and the mapping shows the same; the mapping is still shared: a write
 * through it now reaches the file, and a pwrite to the file now shows in
 * the mapping.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_PAGES 12
#define MAP_OFF 1
#define MAP_PAGES 10
#define ASEED 31
#define BSEED 32

static int written(long i)
{
	return i == 0 || i == 3 || i == 9;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), i;
	const char *path;
	struct zdtm_map m;
	struct stat st;
	uint8_t *map, *buf, b;
	ssize_t bad;
	int fd;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("data");
	buf = xmalloc(FILE_PAGES * psz);
	zdtm_fill(buf, FILE_PAGES * psz, ASEED);
	zdtm_write_file(path, buf, FILE_PAGES * psz);
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		zdtm_fail("open %s: %m", path);
	map = mmap(NULL, MAP_PAGES * psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd, MAP_OFF * psz);
	if (map == MAP_FAILED)
		zdtm_fail("mmap: %m");
	close(fd);
	for (i = 0; i < MAP_PAGES; i++)
		if (written(i))
			zdtm_fill_at(map + i * psz, psz, BSEED, (i + MAP_OFF) * psz);
	zdtm_log("poke %p", map + 5 * psz + 9);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(map, &m) == 0, "mapping at %p is gone", map);
	zdtm_check(m.start == (unsigned long)map && m.end == (unsigned long)map + MAP_PAGES * psz,
		   "mapping is %lx-%lx, expected %p + %d pages", m.start, m.end, map, MAP_PAGES);
	zdtm_check(!strcmp(m.perms, "rw-s"), "perms %s, expected rw-s", m.perms);
	zdtm_check(!strcmp(m.path, path), "backed by '%s', expected '%s'", m.path, path);
	zdtm_check(m.inode == st.st_ino, "inode changed");
	zdtm_check(m.offset == (unsigned long long)MAP_OFF * psz, "offset %llx", m.offset);

	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, buf, FILE_PAGES * psz, 0) != FILE_PAGES * psz)
		zdtm_fail("read back %s: %m", path);
	for (i = 0; i < FILE_PAGES; i++) {
		long mi = i - MAP_OFF;	/* page index in the mapping */
		int in_map = mi >= 0 && mi < MAP_PAGES;
		uint64_t seed = in_map && written(mi) ? BSEED : ASEED;
		bad = zdtm_verify_at(buf + i * psz, psz, seed, i * psz);
		zdtm_check(bad < 0, "file page %ld differs at %zd (seed %llu)", i, bad,
			   (unsigned long long)seed);
		if (in_map) {
			bad = zdtm_verify_at(map + mi * psz, psz, seed, i * psz);
			zdtm_check(bad < 0, "map page %ld differs at %zd", mi, bad);
		}
	}
	/* Still shared, both ways. */
	map[2 * psz + 7] ^= 0xa5;
	b = 0;
	zdtm_check(pread(fd, &b, 1, (2 + MAP_OFF) * psz + 7) == 1 && b == map[2 * psz + 7],
		   "a write to the mapping after restore did not reach the file");
	b = map[4 * psz + 3] ^ 0x3c;
	zdtm_check(pwrite(fd, &b, 1, (4 + MAP_OFF) * psz + 3) == 1, "pwrite: %m");
	zdtm_check(map[4 * psz + 3] == b, "a write to the file after restore is not seen in the mapping");
	close(fd);
	unlink(path);
	zdtm_finish();
}
