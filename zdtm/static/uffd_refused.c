/*
 * uffd_refused: a userfaultfd with a registered range. amber cannot carry userfaultfd state,
 * so the dump must be refused naming the fd, and the task left as it was.
 * Check after SIGTERM: the fd is still a userfaultfd (fdinfo), and a new range can be
 * registered on it (UFFDIO_REGISTER works: the API handshake it had is intact).
 */
#include "zdtm.h"
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int reg(int fd, void *p)
{
	struct uffdio_register r = { .range = { (unsigned long)p, 4096 }, .mode = UFFDIO_REGISTER_MODE_MISSING };
	return ioctl(fd, UFFDIO_REGISTER, &r);
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	char path[64], link[64];
	void *a, *b;
	ssize_t n;
	int fd;

	zdtm_init(argc, argv);
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		zdtm_skip("userfaultfd: %m");
	if (ioctl(fd, UFFDIO_API, &api))
		zdtm_fail("UFFDIO_API: %m");
	a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (reg(fd, a))
		zdtm_fail("UFFDIO_REGISTER: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	zdtm_check(strcmp(link, "anon_inode:[userfaultfd]") == 0, "fd %d is '%s'", fd, link);
	zdtm_check(reg(fd, b) == 0, "UFFDIO_REGISTER of a second range: %m");
	zdtm_finish();
}
