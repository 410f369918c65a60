/*
 * pty_util.h: what the pty tests share: opening a pair, reading with a deadline.
 */
#ifndef PTY_UTIL_H
#define PTY_UTIL_H

#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* A pty pair: master (O_RDWR|O_NOCTTY) and its slave opened by path; returns the index. */
static inline int pty_open_pair(int *master, int *slave, int slave_flags)
{
	int n = -1;
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0 || grantpt(*master) || unlockpt(*master))
		zdtm_fail("posix_openpt: %m");
	if (ioctl(*master, TIOCGPTN, &n))
		zdtm_fail("TIOCGPTN: %m");
	if (slave) {
		*slave = open(ptsname(*master), O_RDWR | slave_flags);
		if (*slave < 0)
			zdtm_fail("open %s: %m", ptsname(*master));
	}
	return n;
}

/* Reads from fd until `want` bytes came or ms passed; returns the bytes read. */
static inline size_t pty_read_for(int fd, char *buf, size_t want, int ms)
{
	size_t got = 0;
	uint64_t end = zdtm_now_ns() + (uint64_t)ms * 1000000ull;
	while (got < want && zdtm_now_ns() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, 20) <= 0)
			continue;
		n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* One read() once fd is readable (ms at most): a canonical slave gives one line per read. */
static inline ssize_t pty_read_once(int fd, char *buf, size_t size, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(fd, buf, size);
}

/* Nothing more to read within ms: 1 if so. */
static inline int pty_quiet_for(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 0;
}

#endif
