/*
 * file_private_readonly: a read-only MAP_PRIVATE mapping of a file.
 *
 * State: a temp file of 9 pages plus 100 bytes holding a pattern, mapped
 * whole (10 pages, the last one partly beyond EOF) PROT_READ MAP_PRIVATE;
 * the fd is closed.
 * Check after SIGTERM: the mapping is r--p at the same address, same file,
 * inode and offset 0; its contents equal the pattern, the bytes past EOF
 * in the last page read zero; writing to it faults; the file is unchanged.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEED 41

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t fsize = 9 * psz + 100, msize = 10 * psz;
	const char *path;
	struct zdtm_map m;
	struct stat st;
	uint8_t *map, *buf;
	ssize_t bad;
	int fd;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("data");
	buf = xmalloc(fsize);
	zdtm_fill(buf, fsize, SEED);
	zdtm_write_file(path, buf, fsize);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		zdtm_fail("open %s: %m", path);
	map = mmap(NULL, msize, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		zdtm_fail("mmap: %m");
	close(fd);
	zdtm_log("poke %p", map + 2 * psz + 77);	/* a private COW through /proc/PID/mem */

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(map, &m) == 0, "mapping at %p is gone", map);
	zdtm_check(m.start == (unsigned long)map && m.end == (unsigned long)map + msize,
		   "mapping is %lx-%lx, expected %p + %zu", m.start, m.end, map, msize);
	zdtm_check(!strcmp(m.perms, "r--p"), "perms %s, expected r--p", m.perms);
	zdtm_check(!strcmp(m.path, path), "backed by '%s', expected '%s'", m.path, path);
	zdtm_check(m.inode == st.st_ino && m.offset == 0, "inode or offset changed");
	bad = zdtm_verify(map, fsize, SEED);
	zdtm_check(bad < 0, "contents differ from the file pattern at %zd", bad);
	bad = zdtm_find_nonzero(map + fsize, msize - fsize);
	zdtm_check(bad < 0, "bytes past EOF are not zero (offset %zd)", bad);
	zdtm_check(!zdtm_probe(map + psz, ZDTM_PROBE_WRITE, map[psz], NULL),
		   "the mapping became writable");
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || pread(fd, buf, fsize, 0) != (ssize_t)fsize)
		zdtm_fail("read back %s: %m", path);
	zdtm_check(st.st_size == (off_t)fsize, "file size changed");
	bad = zdtm_verify(buf, fsize, SEED);
	zdtm_check(bad < 0, "file changed at %zd", bad);
	close(fd);
	unlink(path);
	zdtm_finish();
}
