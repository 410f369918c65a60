/*
 * proc_self_fds: /proc files and directories of the task itself held open.
 *
 * State: an fd on /proc/self/status read once (offset past the first bytes), an
 * O_DIRECTORY fd on /proc/self and one on /proc/<own pid> (the same directory by its
 * number). The task's name is set to a known value so its status is recognisable.
 * Check after SIGTERM: the status fd still reads from its offset (lseek(0) then read shows
 * "Name:\t<name>" and "Pid:\t<own pid>", and the contents equal what opening
 * /proc/self/status afresh reads, apart from the counters that move); both directory fds
 * name /proc/<pid>; openat(dirfd, "stat") reads a stat line of our own pid and comm;
 * openat(dirfd, "task/<pid>/comm") reads the name; fstat of the dir fds shows a directory
 * owned by our uid; F_GETFL unchanged.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME "procfds-7q"

static char *field(const char *text, const char *key, char *out, size_t size)
{
	const char *p = strstr(text, key);
	size_t n = 0;

	out[0] = '\0';
	if (!p)
		return out;
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	while (p[n] && p[n] != '\n' && n + 1 < size)
		n++;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void check_dirfd(const char *what, int dfd, int fl, pid_t pid)
{
	char buf[4096], want[64], lp[64], link[256];
	struct stat st;
	ssize_t n;
	int fd;

	zdtm_check(fcntl(dfd, F_GETFL) == fl, "%s: F_GETFL %#o, was %#o", what, fcntl(dfd, F_GETFL), fl);
	zdtm_check(fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid(), "%s: not our /proc dir", what);
	snprintf(lp, sizeof(lp), "/proc/self/fd/%d", dfd);
	n = readlink(lp, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	snprintf(want, sizeof(want), "/proc/%d", pid);
	zdtm_check(!strcmp(link, want), "%s: fd -> '%s', expected '%s'", what, link, want);
	fd = openat(dfd, "stat", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	snprintf(want, sizeof(want), "%d (%s) ", pid, NAME);
	zdtm_check(!strncmp(buf, want, strlen(want)), "%s: openat(stat) reads '%.40s', expected '%s'", what, buf, want);
	if (fd >= 0)
		close(fd);
	snprintf(lp, sizeof(lp), "task/%d/comm", pid);
	fd = openat(dfd, lp, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(buf, NAME "\n"), "%s: openat(%s) reads '%s'", what, lp, buf);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	char buf[8192], fresh[8192], v1[128], v2[128], path[64];
	static const char *same[] = { "Name:", "Umask:", "State:", "Tgid:", "Pid:", "PPid:", "Uid:", "Gid:",
				      "Threads:", "SigBlk:", "SigCgt:", "CapEff:", "Seccomp:" };
	int sfd, d1, d2, fl1, fl2, sfl, i;
	pid_t pid = getpid();
	off_t off;
	ssize_t n;

	zdtm_init(argc, argv);
	pid = getpid();
	prctl(PR_SET_NAME, NAME);
	sfd = open("/proc/self/status", O_RDONLY);
	d1 = open("/proc/self", O_RDONLY | O_DIRECTORY);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	d2 = open(path, O_RDONLY | O_DIRECTORY);
	if (sfd < 0 || d1 < 0 || d2 < 0)
		zdtm_fail("opening /proc: %m");
	if (read(sfd, buf, 16) != 16)
		zdtm_fail("read status: %m");
	off = lseek(sfd, 0, SEEK_CUR);
	sfl = fcntl(sfd, F_GETFL);
	fl1 = fcntl(d1, F_GETFL);
	fl2 = fcntl(d2, F_GETFL);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(lseek(sfd, 0, SEEK_CUR) == off, "status fd: offset %lld, was %lld",
		   (long long)lseek(sfd, 0, SEEK_CUR), (long long)off);
	zdtm_check(fcntl(sfd, F_GETFL) == sfl, "status fd: F_GETFL changed");
	n = pread(sfd, buf, sizeof(buf) - 1, 0);
	buf[n < 0 ? 0 : n] = '\0';
	zdtm_read_file("/proc/self/status", fresh, sizeof(fresh));
	snprintf(v1, sizeof(v1), "%d", pid);
	zdtm_check(!strcmp(field(buf, "\nPid:", v2, sizeof(v2)), v1), "status fd shows Pid %s, we are %s", v2, v1);
	zdtm_check(!strcmp(field(buf, "Name:", v2, sizeof(v2)), NAME), "status fd shows Name %s", v2);
	for (i = 0; i < (int)(sizeof(same) / sizeof(same[0])); i++) {
		field(buf, same[i], v1, sizeof(v1));
		field(fresh, same[i], v2, sizeof(v2));
		zdtm_check(v1[0] && !strcmp(v1, v2), "status fd says %s '%s', a fresh open '%s'", same[i], v1, v2);
	}
	check_dirfd("/proc/self fd", d1, fl1, pid);
	check_dirfd("/proc/<pid> fd", d2, fl2, pid);
	zdtm_finish();
}
