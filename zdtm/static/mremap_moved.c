/*
 * mremap_moved: mappings moved and grown by mremap().
 *
 * State: (1) a 4-page work file; pages 1-3 mapped MAP_SHARED rw (file offset 4096), then
 * moved with MREMAP_MAYMOVE|MREMAP_FIXED to an address of a reservation: FM. (2) a private
 * anonymous region of 4 pattern pages grown to 8 and moved into the reservation
 * (MREMAP_MAYMOVE|MREMAP_FIXED): AG (pages 4-7 never
 * touched). (3) a private anonymous region of 2 pattern pages moved with MREMAP_DONTUNMAP:
 * the new range DN holds the data, the old range DO stays mapped and empty. FM, AG, DN and DO
 * lie in one PROT_NONE reservation, apart.
 * Check after SIGTERM: FM is one rw-s VMA of 3 pages at the same address with file offset
 * 0x1000 and the file's inode, holds file pages 1-3, a store through it reaches the file;
 * AG is one rw-p VMA of 8 pages, pages 0-3 hold the pattern, 4-7 read zero and were not
 * present before reading (pagemap); DN holds the 2 pages, DO is still a 2-page rw-p VMA
 * with no page present, reading zeros.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4 /* Linux 5.7; glibc 2.31 (Debian 11) lacks the name */
#endif
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096

static int vma_is(void *a, size_t len, const char *perms, unsigned long long off, unsigned long long ino)
{
	struct zdtm_map m;
	if (zdtm_find_map(a, &m))
		return 0;
	return m.start == (unsigned long)a && m.end == (unsigned long)a + len && !strcmp(m.perms, perms) && m.offset == off &&
	       (ino == (unsigned long long)-1 || m.inode == ino);
}

int main(int argc, char **argv)
{
	const char *path;
	uint8_t *res, *f0, *fm, *a0, *ag, *d0, *dn, buf[4 * PG];
	struct stat st;
	int fd;
	ssize_t bad;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("file");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	zdtm_fill(buf, sizeof(buf), 121);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		zdtm_fail("create %s: %m", path);
	fstat(fd, &st);
	res = mmap(NULL, 32 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	f0 = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG);
	if (res == MAP_FAILED || f0 == MAP_FAILED)
		zdtm_fail("mmap: %m");
	fm = mremap(f0, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, res + PG);
	if (fm != res + PG)
		zdtm_fail("mremap FIXED: %m");
	close(fd);

	a0 = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a0 == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(a0, 4 * PG, 122);
	ag = mremap(a0, 4 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, res + 23 * PG);
	if (ag == MAP_FAILED)
		zdtm_fail("mremap grow: %m");

	/* Inside the reservation with PROT_NONE on both sides: nothing to merge with after restore. */
	d0 = mmap(res + 20 * PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (d0 == MAP_FAILED)
		zdtm_fail("mmap: %m");
	zdtm_fill(d0, 2 * PG, 123);
	dn = mremap(d0, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, res + 10 * PG);
	if (dn == MAP_FAILED) {
		if (errno == EINVAL)
			zdtm_skip("MREMAP_DONTUNMAP not supported");
		zdtm_fail("mremap DONTUNMAP: %m");
	}
	if (zdtm_count_present(d0, 2 * PG) != 0 || zdtm_count_present(ag + 4 * PG, 4 * PG) != 0)
		zdtm_fail("set-up: pages present where none should be");
	zdtm_log("FM %p AG %p DN %p DO %p", (void *)fm, (void *)ag, (void *)dn, (void *)d0);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(vma_is(fm, 3 * PG, "rw-s", PG, st.st_ino), "FM is not a 3-page rw-s mapping of the file at offset 0x1000");
	zdtm_check((bad = zdtm_verify_at(fm, 3 * PG, 121, PG)) < 0, "FM differs from file pages 1-3 at +%zd", bad);
	fm[PG + 5] = 0xee;
	fd = open(path, O_RDONLY);
	zdtm_check(fd >= 0 && pread(fd, buf, 1, 2 * PG + 5) == 1 && buf[0] == 0xee, "a store through FM did not reach the file");
	if (fd >= 0)
		close(fd);
	zdtm_check(vma_is(ag, 8 * PG, "rw-p", 0, 0), "AG is not one 8-page rw-p anonymous mapping");
	zdtm_check((bad = zdtm_verify(ag, 4 * PG, 122)) < 0, "AG pages 0-3 differ at +%zd", bad);
	zdtm_check(zdtm_count_present(ag + 4 * PG, 4 * PG) == 0, "AG's grown pages were filled in by the restore");
	zdtm_check(zdtm_find_nonzero(ag + 4 * PG, 4 * PG) < 0, "AG's grown pages are not zero");
	zdtm_check(vma_is(dn, 2 * PG, "rw-p", 0, (unsigned long long)-1), "DN is not a 2-page rw-p mapping");
	zdtm_check((bad = zdtm_verify(dn, 2 * PG, 123)) < 0, "DN differs at +%zd", bad);
	zdtm_check(vma_is(d0, 2 * PG, "rw-p", 0, 0), "the old range of the DONTUNMAP move is no longer a 2-page rw-p mapping");
	zdtm_check(zdtm_count_present(d0, 2 * PG) == 0, "the old range has pages present");
	zdtm_check(zdtm_find_nonzero(d0, 2 * PG) < 0, "the old range does not read zero");
	unlink(path);
	zdtm_finish();
}
