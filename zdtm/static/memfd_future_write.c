/*
 * memfd_future_write: a memfd sealed F_SEAL_FUTURE_WRITE|F_SEAL_SHRINK after it was mapped
 * MAP_SHARED writable: the old mapping stays writable, no new write access is allowed.
 *
 * State: memfd M ("fw", 16 KiB of pattern) mapped MAP_SHARED PROT_READ|PROT_WRITE at W,
 * then sealed FUTURE_WRITE|SHRINK; a read-only shared mapping R made after the seal; the
 * test changed page 1 through W after sealing. M's offset is 1000.
 * Check after SIGTERM: F_GET_SEALS is FUTURE_WRITE|SHRINK exactly; size 16 KiB; offset
 * 1000; contents through W, R and pread are the pattern with page 1 changed; W still
 * writes (a new byte is seen through R and pread); write() and pwrite() fail with EPERM,
 * a new writable MAP_SHARED mapping with EPERM, ftruncate smaller with EPERM, larger works;
 * W and R are one object (a store through W shows in R) and both map the memfd (its
 * inode now).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SZ (16 * 1024)
#define PG 4096

static int is_memfd_map(void *a, const char *name, unsigned long long ino)
{
	struct zdtm_map m;
	char want[64];
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", name);
	return zdtm_find_map(a, &m) == 0 && !strcmp(m.path, want) && m.inode == ino;
}

int main(int argc, char **argv)
{
	int fd, seals;
	uint8_t *w, *r, buf[SZ], exp[SZ];
	struct stat st0, st;
	void *p;

	zdtm_init(argc, argv);
	fd = memfd_create("fw", MFD_ALLOW_SEALING);
	zdtm_fill(exp, SZ, 91);
	if (fd < 0 || write(fd, exp, SZ) != SZ)
		zdtm_fail("memfd: %m");
	w = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w == MAP_FAILED)
		zdtm_fail("mmap W: %m");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK))
		zdtm_fail("F_ADD_SEALS: %m");
	r = mmap(NULL, SZ, PROT_READ, MAP_SHARED, fd, 0);
	if (r == MAP_FAILED)
		zdtm_fail("mmap R: %m");
	memset(w + PG, 0x5a, PG);
	memset(exp + PG, 0x5a, PG);
	lseek(fd, 1000, SEEK_SET);
	fstat(fd, &st0);
	zdtm_log("W %p R %p", (void *)w, (void *)r);

	zdtm_ready();
	zdtm_wait_for_term();

	seals = fcntl(fd, F_GET_SEALS);
	zdtm_check(seals == (F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK), "seals %#x, expected %#x", seals,
		   F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK);
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == SZ, "size %lld", (long long)st.st_size);
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 1000, "offset %lld, expected 1000", (long long)lseek(fd, 0, SEEK_CUR));
	zdtm_check(!memcmp(w, exp, SZ), "contents through W differ");
	zdtm_check(!memcmp(r, exp, SZ), "contents through R differ");
	zdtm_check(pread(fd, buf, SZ, 0) == SZ && !memcmp(buf, exp, SZ), "contents through pread differ");
	zdtm_check(is_memfd_map(w, "fw", st.st_ino) && is_memfd_map(r, "fw", st.st_ino), "W or R does not map the memfd");
	zdtm_check(zdtm_range_perms(w, SZ, "rw-s") == 0 && zdtm_range_perms(r, SZ, "r--s") == 0, "mapping perms changed");
	zdtm_check(zdtm_probe(w + 3 * PG + 7, ZDTM_PROBE_WRITE, 0xc4, NULL) == 1, "the old writable mapping no longer writes");
	zdtm_check(r[3 * PG + 7] == 0xc4, "a store through W is not seen through R");
	zdtm_check(pread(fd, buf, 1, 3 * PG + 7) == 1 && buf[0] == 0xc4, "a store through W is not in the file");
	errno = 0;
	zdtm_check(write(fd, "x", 1) < 0 && errno == EPERM, "write() was not refused: %m");
	errno = 0;
	zdtm_check(pwrite(fd, "x", 1, 0) < 0 && errno == EPERM, "pwrite() was not refused: %m");
	p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(p == MAP_FAILED && errno == EPERM, "a new writable shared mapping was not refused: %m");
	errno = 0;
	zdtm_check(ftruncate(fd, SZ / 2) < 0 && errno == EPERM, "shrinking was not refused: %m");
	zdtm_check(ftruncate(fd, SZ * 2) == 0, "growing failed: %m");
	zdtm_finish();
}
