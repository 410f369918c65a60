/*
 * file_private_map: a MAP_PRIVATE writable mapping of a regular file,
 * partly copied-on-write.
 *
 * State: a temp file of 20 pages holding a pattern; pages 2..17 of it are
 * mapped MAP_PRIVATE PROT_READ|PROT_WRITE (file offset 2 pages) and the fd
 * is closed. Map pages 1, 4, 5 and 10 are overwritten with a second
 * pattern (page 10 only in its first half).
 * Check after SIGTERM: the mapping is rw-p, backed by the same file (path,
 * inode) at the same offset; modified pages hold the modification, all
 * others match the file's pattern; the file itself was not changed; a
 * write to an unmodified page after restore stays private (the file does
 * not see it).
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_PAGES 20
#define MAP_OFF 2
#define MAP_PAGES 16
#define FSEED 21
#define MSEED 22

static int modified(long i)
{
	return i == 1 || i == 4 || i == 5 || i == 10;
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE), i;
	const char *path;
	struct zdtm_map m;
	struct stat st;
	uint8_t *map, *buf;
	ssize_t bad;
	int fd;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("data");
	buf = xmalloc(FILE_PAGES * psz);
	zdtm_fill(buf, FILE_PAGES * psz, FSEED);
	zdtm_write_file(path, buf, FILE_PAGES * psz);
	fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st))
		zdtm_fail("open %s: %m", path);
	map = mmap(NULL, MAP_PAGES * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, MAP_OFF * psz);
	if (map == MAP_FAILED)
		zdtm_fail("mmap: %m");
	close(fd);
	for (i = 0; i < MAP_PAGES; i++)
		if (modified(i))
			zdtm_fill_at(map + i * psz, i == 10 ? psz / 2 : psz, MSEED, i * psz);
	zdtm_log("poke %p", map + 3 * psz + 1);	/* an unmodified page */

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(map, &m) == 0, "mapping at %p is gone", map);
	zdtm_check(m.start == (unsigned long)map && m.end == (unsigned long)map + MAP_PAGES * psz,
		   "mapping is %lx-%lx, expected %p + %ld pages", m.start, m.end, map, (long)MAP_PAGES);
	zdtm_check(!strcmp(m.perms, "rw-p"), "perms %s, expected rw-p", m.perms);
	zdtm_check(!strcmp(m.path, path), "backed by '%s', expected '%s'", m.path, path);
	zdtm_check(m.inode == st.st_ino, "inode %llu, expected %llu", m.inode,
		   (unsigned long long)st.st_ino);
	zdtm_check(m.offset == (unsigned long long)MAP_OFF * psz, "offset %llx", m.offset);
	for (i = 0; i < MAP_PAGES; i++) {
		uint8_t *pg = map + i * psz;
		if (!modified(i)) {
			bad = zdtm_verify_at(pg, psz, FSEED, (i + MAP_OFF) * psz);
			zdtm_check(bad < 0, "unmodified page %ld differs from the file at %zd", i, bad);
		} else if (i != 10) {
			bad = zdtm_verify_at(pg, psz, MSEED, i * psz);
			zdtm_check(bad < 0, "modified page %ld lost its data at %zd", i, bad);
		} else {
			bad = zdtm_verify_at(pg, psz / 2, MSEED, i * psz);
			zdtm_check(bad < 0, "half-modified page 10: first half differs at %zd", bad);
			bad = zdtm_verify_at(pg + psz / 2, psz / 2, FSEED, (i + MAP_OFF) * psz + psz / 2);
			zdtm_check(bad < 0, "half-modified page 10: second half differs at %zd", bad);
		}
	}
	/* The file is unchanged, and stays so when the mapping is written now. */
	map[6 * psz] ^= 0xff;
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, buf, FILE_PAGES * psz, 0) != FILE_PAGES * psz)
		zdtm_fail("read back %s: %m", path);
	bad = zdtm_verify(buf, FILE_PAGES * psz, FSEED);
	zdtm_check(bad < 0, "file changed at offset %zd (mapping not private?)", bad);
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == FILE_PAGES * psz, "file size changed");
	close(fd);
	unlink(path);
	zdtm_finish();
}
