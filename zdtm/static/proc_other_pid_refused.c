/*
 * proc_other_pid_refused: a /proc directory of a process outside the tree held open.
 *
 * After a restore, /proc/PID of a process outside the dumped tree would name whatever
 * process then has that pid, or none: the dump must be refused, naming the fd and the pid,
 * and leave the task running. The process is pid 1, which is never in the tree.
 * State: an O_DIRECTORY fd on /proc/1; the first field of /proc/1/stat through it recorded.
 * Check after SIGTERM: openat(fd, "stat") still reads pid 1's stat ("1 (" and the same
 * command), /proc/self/fd/N names /proc/1.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void read_stat(int dfd, char *buf, size_t size)
{
	int fd = openat(dfd, "stat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	char *e;

	buf[n < 0 ? 0 : n] = '\0';
	e = strchr(buf, ')');
	if (e)
		e[1] = '\0';
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	char before[512], now[512], lp[64], lnk[256];
	ssize_t n;
	int dfd;

	zdtm_init(argc, argv);
	dfd = open("/proc/1", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		zdtm_fail("open /proc/1: %m");
	read_stat(dfd, before, sizeof(before));
	if (strncmp(before, "1 (", 3))
		zdtm_fail("/proc/1/stat reads '%s'", before);

	zdtm_ready();
	zdtm_wait_for_term();

	read_stat(dfd, now, sizeof(now));
	zdtm_check(!strcmp(now, before), "/proc/1/stat through the fd reads '%s', was '%s'", now, before);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", dfd);
	n = readlink(lp, lnk, sizeof(lnk) - 1);
	lnk[n < 0 ? 0 : n] = 0;
	zdtm_check(!strcmp(lnk, "/proc/1"), "fd -> %s", lnk);
	zdtm_finish();
}
