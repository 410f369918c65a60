/*
 * unix_util.h: small helpers shared by the static/unix_*.c tests (AF_UNIX sockets).
 * Everything here is static, so each test links only what it uses. The helpers that do not
 * care about the address family (ut_getint, ut_setint, UT_CHECK_INT, ut_inq, ut_recv_wait,
 * ut_read_full, ut_empty, ut_accept_nb, ut_accept_wait, ut_spawn_outside...) serve the inet,
 * netlink and packet tests too: inet_util.h includes this file.
 *
 * Addresses are handled as (struct sockaddr_un, socklen_t) pairs, the way
 * the kernel reports them: a path name has length offsetof(sun_path) +
 * strlen + 1, an abstract name offsetof(sun_path) + 1 + its bytes, an
 * unbound socket sizeof(sa_family_t).
 */
#ifndef ZDTM_UNIX_UTIL_H
#define ZDTM_UNIX_UTIL_H

#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sockios.h>

#define UT_FAMILY_LEN ((socklen_t)sizeof(sa_family_t))
#define UT_PATH_MAX ((int)sizeof(((struct sockaddr_un *)0)->sun_path))

struct ut_addr {
	struct sockaddr_un sa;
	socklen_t len;
};

/* A path-name address (path must fit sun_path with its NUL). */
static inline struct ut_addr ut_path_addr(const char *path)
{
	struct ut_addr a;
	size_t n = strlen(path);
	if (n >= sizeof(a.sa.sun_path))
		zdtm_fail("socket path too long (%zu): %s", n, path);
	memset(&a, 0, sizeof(a));
	a.sa.sun_family = AF_UNIX;
	memcpy(a.sa.sun_path, path, n);
	a.len = offsetof(struct sockaddr_un, sun_path) + n + 1;
	return a;
}

/* An abstract address: a NUL, then len bytes of name (which may hold NULs). */
static inline struct ut_addr ut_abstract_addr(const void *name, size_t len)
{
	struct ut_addr a;
	if (len + 1 > sizeof(a.sa.sun_path))
		zdtm_fail("abstract name too long (%zu)", len);
	memset(&a, 0, sizeof(a));
	a.sa.sun_family = AF_UNIX;
	memcpy(a.sa.sun_path + 1, name, len);
	a.len = offsetof(struct sockaddr_un, sun_path) + 1 + len;
	return a;
}

/* Same length and, if there is an address, same family and bytes. */
static inline int ut_addr_eq(const struct ut_addr *x, const struct ut_addr *y)
{
	if (x->len != y->len)
		return 0;
	if (x->len < UT_FAMILY_LEN)	/* no address at all (an unbound sender): length 0 */
		return 1;
	return x->sa.sun_family == y->sa.sun_family &&
	       !memcmp(x->sa.sun_path, y->sa.sun_path, x->len - offsetof(struct sockaddr_un, sun_path));
}

/* Printable form: "len=N '...'" with non-printing bytes as \xHH. Rotates 4 static buffers. */
static inline const char *ut_addr_str(const struct ut_addr *a)
{
	static char bufs[4][600];
	static int k;
	char *b = bufs[k++ & 3];
	int n, i, plen = (int)a->len - (int)offsetof(struct sockaddr_un, sun_path);

	n = snprintf(b, 600, "len=%u '", (unsigned)a->len);
	for (i = 0; i < plen && i < UT_PATH_MAX && n < 590; i++) {
		unsigned char c = a->sa.sun_path[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			b[n++] = c;
		else
			n += snprintf(b + n, 600 - n, "\\x%02x", c);
	}
	snprintf(b + n, 600 - n, "'");
	return b;
}

static inline struct ut_addr ut_sockname(int fd)
{
	struct ut_addr a;
	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.sa);
	if (getsockname(fd, (struct sockaddr *)&a.sa, &a.len))
		a.len = 0;
	return a;
}

/* Peer address; len 0 and errno set when getpeername fails. */
static inline struct ut_addr ut_peername(int fd)
{
	struct ut_addr a;
	memset(&a, 0, sizeof(a));
	a.len = sizeof(a.sa);
	if (getpeername(fd, (struct sockaddr *)&a.sa, &a.len))
		a.len = 0;
	return a;
}

static inline int ut_bind(int fd, const struct ut_addr *a)
{
	return bind(fd, (const struct sockaddr *)&a->sa, a->len);
}

static inline int ut_connect(int fd, const struct ut_addr *a)
{
	return connect(fd, (const struct sockaddr *)&a->sa, a->len);
}

static inline ssize_t ut_sendto(int fd, const void *buf, size_t len, const struct ut_addr *a)
{
	return sendto(fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)&a->sa, a->len);
}

/* A new AF_UNIX socket or FAIL. */
static inline int ut_socket(int type)
{
	int fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		zdtm_fail("socket(AF_UNIX, %d): %m", type);
	return fd;
}

/* A listener of this type bound to a (listen(backlog)), or FAIL. */
static inline int ut_listener(int type, const struct ut_addr *a, int backlog)
{
	int fd = ut_socket(type);
	if (ut_bind(fd, a) || listen(fd, backlog))
		zdtm_fail("bind/listen %s: %m", ut_addr_str(a));
	return fd;
}

/* A socket of this type connected to a, or FAIL. */
static inline int ut_connected(int type, const struct ut_addr *a)
{
	int fd = ut_socket(type);
	if (ut_connect(fd, a))
		zdtm_fail("connect %s: %m", ut_addr_str(a));
	return fd;
}

/* A socketpair of this type, or FAIL. */
static inline void ut_pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type, 0, sv))
		zdtm_fail("socketpair: %m");
}

/*
 * zdtm_check that fd's getsockname (peer 0) or getpeername (peer 1) is want and, if was is not
 * NULL, also what was recorded; 1 if it is.
 */
static inline int ut_check_name(const char *who, int fd, int peer, const struct ut_addr *want, const struct ut_addr *was)
{
	struct ut_addr a = peer ? ut_peername(fd) : ut_sockname(fd);
	const char *call = peer ? "getpeername" : "getsockname";
	int ok = ut_addr_eq(&a, want) && (!was || ut_addr_eq(&a, was));
	if (!a.len)
		return zdtm_check(ok, "%s: %s failed (%m), expected %s", who, call, ut_addr_str(want));
	if (was)
		return zdtm_check(ok, "%s: %s %s, expected %s, was %s", who, call, ut_addr_str(&a), ut_addr_str(want),
				  ut_addr_str(was));
	return zdtm_check(ok, "%s: %s %s, expected %s", who, call, ut_addr_str(&a), ut_addr_str(want));
}

/* zdtm_check that getpeername fails with ENOTCONN. */
static inline int ut_check_notconn(const char *who, int fd)
{
	struct ut_addr a = ut_peername(fd);
	return zdtm_check(a.len == 0 && errno == ENOTCONN, "%s: getpeername %s (%m), expected ENOTCONN", who,
			  ut_addr_str(&a));
}

/*
 * A directory for the test's socket files: DIR/PROG.<name> next to the outfile, created
 * (stale entries of an earlier run are the caller's to unlink). If that path leaves fewer than
 * `room` bytes for the names inside it (sun_path holds 107 characters), a fresh directory
 * under /tmp is made instead and *tmp set to 1 (the caller removes it at the end).
 */
static inline const char *ut_sock_dir(const char *name, size_t room, int *tmp)
{
	const char *d = zdtm_tmp_path(name);
	*tmp = 0;
	if (strlen(d) + 1 + room < sizeof(((struct sockaddr_un *)0)->sun_path)) {
		if (mkdir(d, 0755) && errno != EEXIST)
			zdtm_fail("mkdir %s: %m", d);
		return d;
	}
	{
		char *t = xstrdup("/tmp/zdtm-unix.XXXXXX");
		if (!mkdtemp(t))
			zdtm_fail("mkdtemp: %m");
		chmod(t, 0755);
		*tmp = 1;
		return t;
	}
}

/* DIR/leaf, never freed; the old socket file (if any) is unlinked. */
static inline const char *ut_sock_path(const char *dir, const char *leaf)
{
	size_t n = strlen(dir) + strlen(leaf) + 2;
	char *p = xmalloc(n);
	snprintf(p, n, "%s/%s", dir, leaf);
	unlink(p);
	return p;
}

/* The path-name address DIR/leaf (the old socket file, if any, unlinked); the path in *path. */
static inline struct ut_addr ut_sock_addr(const char *dir, const char *leaf, const char **path)
{
	*path = ut_sock_path(dir, leaf);
	return ut_path_addr(*path);
}

/*
 * A tag for abstract names that no concurrent run shares: the pid and a hash of this run's
 * outfile directory (pids repeat across pid namespaces). Computed once, kept for the restore.
 */
static inline const char *ut_tag(void)
{
	static char tag[40];
	if (!tag[0]) {
		const char *d = zdtm_tmp_path("tag");
		snprintf(tag, sizeof(tag), "%d.%08llx", (int)getpid(),
			 (unsigned long long)(zdtm_fnv64(d, strlen(d)) & 0xffffffffULL));
	}
	return tag;
}

static inline int ut_getint(int fd, int level, int opt)
{
	int v = -12345;
	socklen_t l = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &l))
		return -12345;
	return v;
}

/* zdtm_check that an integer option of fd reads v (name: the option's name for the message); 1 if it does. */
static inline int ut_check_int(const char *who, int fd, int level, int opt, const char *name, int v)
{
	int now = ut_getint(fd, level, opt);
	return zdtm_check(now == v, "%s: %s reads %d, expected %d", who, name, now, v);
}
#define UT_CHECK_INT(who, fd, level, opt, v) ut_check_int(who, fd, level, opt, #opt, v)

static inline int ut_setint(int fd, int level, int opt, int v)
{
	return setsockopt(fd, level, opt, &v, sizeof(v));
}

static inline int ut_type(int fd)
{
	return ut_getint(fd, SOL_SOCKET, SO_TYPE);
}

/* SO_PEERCRED pid, or -1. */
static inline pid_t ut_peer_pid(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l))
		return -1;
	return cr.pid;
}

/* SIOCINQ: stream: bytes queued; dgram/seqpacket: length of the first message. */
static inline int ut_inq(int fd)
{
	int n = -1;
	if (ioctl(fd, SIOCINQ, &n))
		return -1;
	return n;
}

/* poll() revents right now (POLLIN|POLLOUT|POLLRDHUP asked; HUP/ERR come anyway). */
static inline int ut_revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

/* recv after waiting up to ms for the socket to become readable; -1/ETIMEDOUT if it does not. */
static inline ssize_t ut_recv_wait(int fd, void *buf, size_t len, int flags, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	int r;
	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	if (r < 0)
		return -1;
	return recv(fd, buf, len, flags | MSG_DONTWAIT);
}

/*
 * Reads exactly len stream bytes (waiting up to ms for each piece); returns how many came. It
 * stops early at EOF, and then sets *eof (eof may be NULL).
 */
static inline size_t ut_read_full_eof(int fd, void *buf, size_t len, int ms, int *eof)
{
	size_t got = 0;
	if (eof)
		*eof = 0;
	while (got < len) {
		ssize_t n = ut_recv_wait(fd, (char *)buf + got, len - got, 0, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && eof)
			*eof = 1;
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static inline size_t ut_read_full(int fd, void *buf, size_t len, int ms)
{
	return ut_read_full_eof(fd, buf, len, ms, NULL);
}

/* Sends all of buf on a stream socket (blocking); 0 on success. */
static inline int ut_send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	return 0;
}

/* Sends len bytes of the pattern of seed (from offset off) on a stream socket; 0 on success. */
static inline int ut_send_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	static uint8_t buf[65536];
	if (len > sizeof(buf))
		return -1;
	zdtm_fill_at(buf, len, seed, off);
	return ut_send_all(fd, buf, len);
}

/*
 * Reads exactly len stream bytes (waiting up to ms for each piece): 1 if they all came and are
 * the pattern of seed from offset off. *got (may be NULL): how many came.
 */
static inline int ut_read_pattern(int fd, size_t len, uint64_t seed, uint64_t off, int ms, size_t *got)
{
	static uint8_t buf[65536];
	size_t n;
	if (len > sizeof(buf))
		return 0;
	memset(buf, 0, len);
	n = ut_read_full(fd, buf, len, ms);
	if (got)
		*got = n;
	return n == len && zdtm_verify_at(buf, len, seed, off) < 0;
}

/* 1 if nothing more is queued: a nonblocking recv gets EAGAIN. */
static inline int ut_empty(int fd)
{
	char b;
	return recv(fd, &b, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN;
}

/* accept() that does not block: the listener is made nonblocking for the call only. */
static inline int ut_accept_nb(int l)
{
	int fl = fcntl(l, F_GETFL), fd, e;
	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	fd = accept(l, NULL, NULL);
	e = errno;
	fcntl(l, F_SETFL, fl);
	errno = e;
	return fd;
}

/* accept() waiting up to ms for a connection; -1/ETIMEDOUT if none comes. */
static inline int ut_accept_wait(int l, int ms)
{
	struct pollfd p = { l, POLLIN, 0 };
	if (poll(&p, 1, ms) != 1) {
		errno = ETIMEDOUT;
		return -1;
	}
	return ut_accept_nb(l);
}

/*
 * The end `peer` of a stream connection whose other end is still open through fd `last` (held
 * by `holder`) sees nothing for quiet_ms; once last is closed it sees EOF within eof_ms.
 */
static inline void ut_check_eof_at_close(const char *who, int peer, int last, const char *holder, int quiet_ms,
					 int eof_ms)
{
	char b;
	ssize_t n;
	errno = 0;
	n = ut_recv_wait(peer, &b, 1, 0, quiet_ms);
	zdtm_check(n == -1 && errno == ETIMEDOUT, "%s: %zd (%m) while %s, expected nothing", who, n, holder);
	close(last);
	n = ut_recv_wait(peer, &b, 1, 0, eof_ms);
	zdtm_check(n == 0, "%s: %zd (%m) after the last fd closed, expected EOF", who, n);
}

/*
 * sendmsg of len bytes with one SOL_SOCKET control message of this type carrying dlen bytes of
 * data (none if data is NULL); returns what sendmsg returns.
 */
static inline ssize_t ut_send_cmsg(int fd, const void *buf, size_t len, int type, const void *data, size_t dlen, int flags)
{
	union {
		char b[CMSG_SPACE(64)];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&mh, 0, sizeof(mh));
	memset(&cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (data) {
		if (dlen > 64) {
			errno = EINVAL;
			return -1;
		}
		mh.msg_control = cbuf.b;
		mh.msg_controllen = CMSG_SPACE(dlen);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = type;
		c->cmsg_len = CMSG_LEN(dlen);
		memcpy(CMSG_DATA(c), data, dlen);
	}
	return sendmsg(fd, &mh, flags);
}

/*
 * recvmsg waiting up to ms (0: only what is there); *cr gets the SCM_CREDENTIALS that came with
 * the data (all ones if none: *have 0). -2 if nothing came.
 */
static inline ssize_t ut_recv_creds(int fd, void *buf, size_t len, struct ucred *cr, int *have, int ms)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred)) + 64];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { buf, len };
	struct msghdr mh;
	struct cmsghdr *c;
	struct pollfd p = { fd, POLLIN, 0 };
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf.b;
	mh.msg_controllen = sizeof(cbuf.b);
	*have = 0;
	memset(cr, 0xff, sizeof(*cr));
	if (poll(&p, 1, ms) != 1)
		return -2;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	for (c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			memcpy(cr, CMSG_DATA(c), sizeof(*cr));
			*have = 1;
		}
	return n;
}

/*
 * Starts fn(arg, report) in a process outside the test's tree: a middle process forks it and
 * exits at once (reaped here), so that it is reparented away. fn must not return; it gets the
 * write end of a pipe, `report`, and writes its pid there once it is ready for the test.
 * Returns that pid; FAIL if the middle process fails or no pid comes.
 */
static inline pid_t ut_spawn_outside(void (*fn)(void *arg, int report), void *arg)
{
	int p[2], st = 0;
	pid_t mid, pid = 0;
	if (pipe(p))
		zdtm_fail("pipe: %m");
	mid = fork();
	if (mid < 0)
		zdtm_fail("fork: %m");
	if (mid == 0) {
		pid_t x;
		close(p[0]);
		x = fork();
		if (x == 0)
			fn(arg, p[1]);
		_exit(x > 0 ? 0 : 1);
	}
	close(p[1]);
	if (waitpid(mid, &st, 0) != mid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		zdtm_fail("the intermediate process failed: %#x", st);
	if (read(p[0], &pid, sizeof(pid)) != sizeof(pid) || pid <= 0)
		zdtm_fail("the external process did not start");
	close(p[0]);
	return pid;
}

/* 1 if path names a socket file; its mode, uid, gid in *st. */
static inline int ut_is_sock_file(const char *path, struct stat *st)
{
	return lstat(path, st) == 0 && S_ISSOCK(st->st_mode);
}

#endif
