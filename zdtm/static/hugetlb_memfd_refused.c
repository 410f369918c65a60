/*
 * hugetlb_memfd_refused: a memfd on hugetlbfs (MFD_HUGETLB) held open, and mapped when the
 * machine has a huge page for it.
 *
 * amber does not carry hugetlb memory: the dump must be refused, naming the fd (or the
 * mapping), and leave the task running. Skipped when the kernel makes no MFD_HUGETLB memfd.
 * State: the memfd, ftruncate'd to one huge page (HugePages_Total of /proc/meminfo is
 * logged); when a MAP_SHARED mapping of it can be made (a free huge page), it holds a
 * pattern, else only the fd is held.
 * Check after SIGTERM: the fd is still on hugetlbfs (fstatfs), its size one huge page,
 * /proc/self/fd/N names the memfd, and the mapping (when made) holds the pattern.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC 0x958458f6
#define HUGE (2UL << 20)

int main(int argc, char **argv)
{
	char total[64] = "?", lp[64], link[256];
	struct statfs sfs;
	struct stat st;
	uint8_t *m;
	ssize_t n;
	int fd;

	zdtm_init(argc, argv);
	{
		char mi[8192], *p;
		zdtm_read_file("/proc/meminfo", mi, sizeof(mi));
		if ((p = strstr(mi, "HugePages_Total:")))
			sscanf(p, "HugePages_Total: %63s", total);
	}
	fd = memfd_create("zdtm-huge", MFD_HUGETLB | MFD_CLOEXEC);
	if (fd < 0)
		zdtm_skip("memfd_create(MFD_HUGETLB): %s (HugePages_Total %s)", strerror(errno), total);
	if (ftruncate(fd, HUGE))
		zdtm_fail("ftruncate: %m");
	m = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		zdtm_log("HugePages_Total %s: no huge page to map (%m); holding the fd only", total);
		m = NULL;
	} else {
		zdtm_log("HugePages_Total %s: mapped at %p", total, m);
		zdtm_fill(m, HUGE, 7);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC, "the fd is not on hugetlbfs any more");
	zdtm_check(fstat(fd, &st) == 0 && (unsigned long)st.st_size == HUGE, "size %lld", (long long)st.st_size);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", fd);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strncmp(link, "/memfd:zdtm-huge", 16), "fd -> '%s'", link);
	if (m)
		zdtm_check(zdtm_verify(m, HUGE, 7) < 0, "the huge page's contents differ");
	zdtm_finish();
}
