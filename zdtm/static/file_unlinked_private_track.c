/*
 * file_unlinked_private_track: an unlinked file mapped MAP_PRIVATE with some pages changed:
 * the changed pages are private copies, the others still read through to the file.
 *
 * State: a work file of 8 pattern pages, opened O_RDWR (fd F), mapped MAP_PRIVATE rw at M,
 * then unlinked (a ghost). Pages 2 and 5 of M were written (private copies); page 6 was
 * only read.
 * Check after SIGTERM: M is still one rw-p mapping of 8 pages naming the file "(deleted)",
 * F's link too; pages 2 and 5 hold the private bytes, every other page the file's pattern;
 * the file (pread through F) still holds the pattern everywhere (private writes did not
 * reach it). The untouched pages still follow the file: a pwrite through F into pages 3
 * and 6 shows in M, a pwrite into page 2 does not (its copy is private); the mapping and F
 * are the same inode.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096
#define NP 8

int main(int argc, char **argv)
{
	const char *path;
	uint8_t *m, buf[NP * PG];
	struct zdtm_map zm;
	struct stat st;
	char link[600], want[600], lpath[64];
	volatile uint8_t sink;
	int fd, i;
	ssize_t bad;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("ghost");
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	zdtm_fill(buf, sizeof(buf), 303);
	if (fd < 0 || write(fd, buf, sizeof(buf)) != sizeof(buf))
		zdtm_fail("create %s: %m", path);
	m = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		zdtm_fail("mmap: %m");
	memset(m + 2 * PG, 0x22, PG);
	memset(m + 5 * PG + 100, 0x55, 200);
	sink = m[6 * PG + 9];
	(void)sink;
	if (unlink(path))
		zdtm_fail("unlink: %m");
	snprintf(want, sizeof(want), "%s (deleted)", path);
	zdtm_log("mapping %p, file %s", (void *)m, path);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(zdtm_find_map(m, &zm) == 0 && zm.start == (unsigned long)m && zm.end == (unsigned long)m + NP * PG &&
			   !strcmp(zm.perms, "rw-p") && !strcmp(zm.path, want),
		   "mapping %lx-%lx %s '%s', expected %p+%d rw-p '%s'", zm.start, zm.end, zm.perms, zm.path, (void *)m,
		   NP * PG, want);
	snprintf(lpath, sizeof(lpath), "/proc/self/fd/%d", fd);
	i = readlink(lpath, link, sizeof(link) - 1);
	link[i > 0 ? i : 0] = 0;
	zdtm_check(!strcmp(link, want), "fd link '%s', expected '%s'", link, want);
	zdtm_check(fstat(fd, &st) == 0 && st.st_nlink == 0 && st.st_ino == zm.inode && st.st_size == NP * PG,
		   "fd: nlink %lu ino %lu size %lld, mapping ino %llu", (unsigned long)st.st_nlink, (unsigned long)st.st_ino,
		   (long long)st.st_size, zm.inode);
	for (i = 0; i < NP; i++) {
		if (i == 2) {
			uint8_t exp[PG];
			memset(exp, 0x22, PG);
			zdtm_check(!memcmp(m + 2 * PG, exp, PG), "page 2 lost its private bytes");
		} else if (i == 5) {
			uint8_t exp[PG];
			zdtm_fill_at(exp, PG, 303, 5 * PG);
			memset(exp + 100, 0x55, 200);
			zdtm_check(!memcmp(m + 5 * PG, exp, PG), "page 5 differs from its private copy");
		} else {
			bad = zdtm_verify_at(m + i * PG, PG, 303, (uint64_t)i * PG);
			zdtm_check(bad < 0, "page %d differs from the file at +%zd", i, bad);
		}
	}
	memset(buf, 0, sizeof(buf));
	zdtm_check(pread(fd, buf, sizeof(buf), 0) == sizeof(buf) && (bad = zdtm_verify(buf, sizeof(buf), 303)) < 0,
		   "the file changed at %zd", bad);
	zdtm_check(pwrite(fd, "\xa3\xa3\xa3\xa3", 4, 3 * PG + 8) == 4 && pwrite(fd, "\xa6\xa6", 2, 6 * PG + 9) == 2 &&
			   pwrite(fd, "\xa2", 1, 2 * PG + 1) == 1,
		   "pwrite: %m");
	zdtm_check(!memcmp(m + 3 * PG + 8, "\xa3\xa3\xa3\xa3", 4), "page 3 of the mapping no longer follows the file");
	zdtm_check(!memcmp(m + 6 * PG + 9, "\xa6\xa6", 2), "page 6 (read before the checkpoint) no longer follows the file");
	zdtm_check(m[2 * PG + 1] == 0x22, "page 2's private copy took the file's write");
	zdtm_finish();
}
