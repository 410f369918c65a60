/*
 * memfd_seals: sealed memfds keep their seals, and the seals still bite.
 *
 * State: memfd "amber-sealed" (MFD_ALLOW_SEALING), 5 pages of pattern 51, sealed
 * F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW and then mapped MAP_SHARED read-only (M), its fd
 * O_RDWR at offset 100; memfd "amber-unsealable" (no MFD_ALLOW_SEALING, so sealed with
 * F_SEAL_SEAL by the kernel), 1 page of pattern 52, mapped MAP_SHARED rw (W).
 * Check after SIGTERM: F_GET_SEALS gives exactly those seals on both; on the sealed one
 * write() and pwrite() fail with EPERM and leave the offset, ftruncate shrinking or growing
 * fails with EPERM, a new writable shared mapping fails with EPERM, mprotect(M, PROT_WRITE)
 * fails, M and pread show pattern 51, and a further seal can still be added (not F_SEAL_SEAL'ed);
 * the unsealable one refuses F_ADD_SEALS with EPERM, W and pread show pattern 52 and a write
 * through W reads back through the fd.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PG 4096
#define LEN (5 * PG)
#define SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)

int main(int argc, char **argv)
{
	uint8_t *buf, *M, *W, *x;
	struct stat st;
	int fd, fu;

	zdtm_init(argc, argv);
	buf = xmalloc(LEN);
	fd = memfd_create("amber-sealed", MFD_ALLOW_SEALING);
	fu = memfd_create("amber-unsealable", 0);
	if (fd < 0 || fu < 0)
		zdtm_fail("memfd_create: %m");
	zdtm_fill(buf, LEN, 51);
	if (pwrite(fd, buf, LEN, 0) != LEN || fcntl(fd, F_ADD_SEALS, SEALS) || lseek(fd, 100, SEEK_SET) != 100)
		zdtm_fail("fill/seal: %m");
	M = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);
	zdtm_fill(buf, PG, 52);
	if (M == MAP_FAILED || pwrite(fu, buf, PG, 0) != PG)
		zdtm_fail("mmap/fill: %m");
	W = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fu, 0);
	if (W == MAP_FAILED)
		zdtm_fail("mmap: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fcntl(fd, F_GET_SEALS) == SEALS, "seals %#x", fcntl(fd, F_GET_SEALS));
	zdtm_check(fcntl(fu, F_GET_SEALS) == F_SEAL_SEAL, "unsealable: seals %#x", fcntl(fu, F_GET_SEALS));
	zdtm_check(fstat(fd, &st) == 0 && st.st_size == LEN, "size %lld", (long long)st.st_size);
	zdtm_check((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "the fd is not O_RDWR");
	errno = 0;
	zdtm_check(write(fd, "x", 1) == -1 && errno == EPERM, "write to a write-sealed memfd: %m");
	errno = 0;
	zdtm_check(pwrite(fd, "x", 1, 0) == -1 && errno == EPERM, "pwrite to a write-sealed memfd: %m");
	zdtm_check(lseek(fd, 0, SEEK_CUR) == 100, "offset %lld", (long long)lseek(fd, 0, SEEK_CUR));
	errno = 0;
	zdtm_check(ftruncate(fd, PG) == -1 && errno == EPERM, "shrinking: %m");
	errno = 0;
	zdtm_check(ftruncate(fd, 2 * LEN) == -1 && errno == EPERM, "growing: %m");
	errno = 0;
	x = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	zdtm_check(x == MAP_FAILED && errno == EPERM, "a writable shared mapping of a write-sealed memfd: %m");
	zdtm_check(mprotect(M, LEN, PROT_READ | PROT_WRITE) == -1, "mprotect made the sealed mapping writable");
	zdtm_check(zdtm_verify(M, LEN, 51) < 0, "the mapping differs");
	memset(buf, 0, LEN);
	zdtm_check(pread(fd, buf, LEN, 0) == LEN && zdtm_verify(buf, LEN, 51) < 0, "the data differ");
	zdtm_check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0, "adding F_SEAL_SEAL failed: %m");
	errno = 0;
	zdtm_check(fcntl(fu, F_ADD_SEALS, F_SEAL_GROW) == -1 && errno == EPERM, "sealing the unsealable memfd: %m");
	zdtm_check(zdtm_verify(W, PG, 52) < 0, "unsealable: the mapping differs");
	W[10] ^= 0xff;
	zdtm_check(pread(fu, buf, PG, 0) == PG && buf[10] == W[10] && zdtm_verify_at(buf + 11, PG - 11, 52, 11) < 0,
		   "unsealable: the mapping is not the memfd");
	zdtm_finish();
}
