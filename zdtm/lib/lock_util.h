/*
 * lock_util.h: helpers of the file-lock zdtm tests (file_flock, file_posix_locks, ...):
 * /proc/locks entries on one file, and a child trying a lock of its own.
 */
#ifndef LOCK_UTIL_H
#define LOCK_UTIL_H

#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct lockent {
	char cls[16], mode[16], rw[16], start[24], end[24];
	int pid;
};


static char locks_buf[1 << 20];

/* The /proc/locks entries (not the "->" waiters) on dev:ino. */
static inline int locks_on(dev_t dev, ino_t ino, struct lockent *out, int max)
{
	char *line, *save = NULL;
	int n = 0;

	zdtm_read_file("/proc/locks", locks_buf, sizeof(locks_buf));
	for (line = strtok_r(locks_buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct lockent e;
		unsigned int ma, mi;
		unsigned long long in;

		if (sscanf(line, "%*d: %15s %15s %15s %d %x:%x:%llu %23s %23s", e.cls, e.mode, e.rw,
			   &e.pid, &ma, &mi, &in, e.start, e.end) != 9)
			continue;
		if (ma != major(dev) || mi != minor(dev) || in != (unsigned long long)ino)
			continue;
		if (n < max)
			out[n] = e;
		n++;
	}
	return n;
}

/* A child opens path on its own and tries flock(how|LOCK_NB): 0 if it got the lock, else errno. */
static inline int child_flock(const char *path, int how)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		zdtm_fail("fork: %m");
	if (pid == 0) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(200);
		_exit(flock(fd, how | LOCK_NB) == 0 ? 0 : (errno & 0x7f));
	}
	if (waitpid(pid, &st, 0) != pid)
		zdtm_fail("waitpid: %m");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

#endif
