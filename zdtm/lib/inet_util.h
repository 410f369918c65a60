/*
 * inet_util.h: small helpers shared by the static/ tests of TCP, UDP, raw, ping, netlink and
 * packet sockets (tcp_*, udp_*, inet_*, raw_*, icmp_*, netlink_*, packet_*, socket_*).
 * Everything here is static inline, so each test links only what it uses. It includes
 * unix_util.h, whose family-independent helpers (ut_getint, ut_setint, UT_CHECK_INT, ut_inq,
 * ut_recv_wait, ut_read_full, ut_empty, ut_accept_nb, ut_accept_wait, ut_spawn_outside...)
 * these tests use too.
 *
 * Addresses are passed as pointers to a struct sockaddr_in, _in6, _nl or _ll (the family field
 * tells which); union it_addr holds any of them, as getsockname()/getpeername() return them.
 */
#ifndef ZDTM_INET_UTIL_H
#define ZDTM_INET_UTIL_H

#include "unix_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>

union it_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr_nl nl;
	struct sockaddr_ll ll;
	struct sockaddr_storage ss;
};

/* ---- addresses ---- */

/* 127.0.0.1:port */
static inline struct sockaddr_in it_lo4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* [::1]:port */
static inline struct sockaddr_in6 it_lo6(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	return a;
}

/* ip:port for a dotted IPv4 address. */
static inline struct sockaddr_in it_addr4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* [ip]:port for a textual IPv6 address (scope id and flowinfo 0). */
static inline struct sockaddr_in6 it_addr6(const char *ip, int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

/* The length of an address of a's family; 0 for a family this file does not know. */
static inline socklen_t it_addr_len(const void *a)
{
	switch (((const struct sockaddr *)a)->sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	case AF_NETLINK:
		return sizeof(struct sockaddr_nl);
	case AF_PACKET:
		return sizeof(struct sockaddr_ll);
	}
	return 0;
}

/* Same known family and the same bytes (port, address and for IPv6 flowinfo and scope id too). */
static inline int it_addr_eq(const void *x, const void *y)
{
	socklen_t n = it_addr_len(x);
	return n && ((const struct sockaddr *)x)->sa_family == ((const struct sockaddr *)y)->sa_family &&
	       !memcmp(x, y, n);
}

/* A copy of the address in a union (as many bytes as its family has; the rest zero). */
static inline union it_addr it_addr_of(const void *a)
{
	union it_addr u;
	memset(&u, 0, sizeof(u));
	memcpy(&u, a, it_addr_len(a) ? it_addr_len(a) : sizeof(sa_family_t));
	return u;
}

/* The port (host order) of an IPv4 or IPv6 address, 0 for others. */
static inline int it_port(const void *a)
{
	union it_addr u = it_addr_of(a);
	if (u.sa.sa_family == AF_INET)
		return ntohs(u.v4.sin_port);
	if (u.sa.sa_family == AF_INET6)
		return ntohs(u.v6.sin6_port);
	return 0;
}

/* Printable form: "127.0.0.1:20101", "[::1]:20111" (with %scope if any), "(none)". Rotates 4 buffers. */
static inline const char *it_addr_str(const void *a)
{
	static char bufs[4][80];
	static int k;
	char *b = bufs[k++ & 3], ip[INET6_ADDRSTRLEN];
	union it_addr u = it_addr_of(a);

	if (u.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &u.v4.sin_addr, ip, sizeof(ip));
		snprintf(b, 80, "%s:%d", ip, ntohs(u.v4.sin_port));
	} else if (u.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &u.v6.sin6_addr, ip, sizeof(ip));
		if (u.v6.sin6_scope_id || u.v6.sin6_flowinfo)
			snprintf(b, 80, "[%s%%%u]:%d flow %u", ip, u.v6.sin6_scope_id, ntohs(u.v6.sin6_port),
				 ntohl(u.v6.sin6_flowinfo));
		else
			snprintf(b, 80, "[%s]:%d", ip, ntohs(u.v6.sin6_port));
	} else if (u.sa.sa_family == AF_NETLINK) {
		snprintf(b, 80, "netlink %u groups %#x", u.nl.nl_pid, u.nl.nl_groups);
	} else {
		snprintf(b, 80, "(none)");
	}
	return b;
}

/* getsockname: zeroed first, family 0 (AF_UNSPEC) when it fails. */
static inline union it_addr it_sockname(int fd)
{
	union it_addr a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getsockname(fd, &a.sa, &len))
		memset(&a, 0, sizeof(a));
	return a;
}

/* getpeername: zeroed first, family 0 (errno set) when it fails. */
static inline union it_addr it_peername(int fd)
{
	union it_addr a;
	socklen_t len = sizeof(a);
	int e;
	memset(&a, 0, sizeof(a));
	if (getpeername(fd, &a.sa, &len)) {
		e = errno;
		memset(&a, 0, sizeof(a));
		errno = e;
	}
	return a;
}

/* 1 if getpeername fails with ENOTCONN. */
static inline int it_unconnected(int fd)
{
	union it_addr a;
	socklen_t len = sizeof(a);
	return getpeername(fd, &a.sa, &len) < 0 && errno == ENOTCONN;
}

/* zdtm_check that getsockname (self) and getpeername (peer) of fd are as given; NULL skips one. */
static inline void it_check_names(const char *who, int fd, const void *self, const void *peer)
{
	union it_addr a;
	if (self) {
		a = it_sockname(fd);
		zdtm_check(it_addr_eq(&a, self), "%s: local address %s, expected %s", who, it_addr_str(&a), it_addr_str(self));
	}
	if (peer) {
		a = it_peername(fd);
		zdtm_check(it_addr_eq(&a, peer), "%s: peer address %s, expected %s", who, it_addr_str(&a), it_addr_str(peer));
	}
}

/* ---- options ---- */

/* tcpi_state from TCP_INFO, or -1. */
static inline int it_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

/*
 * A table of integer options: set before bind (value IT_NOVAL: set elsewhere), read back after;
 * keep: the kernel reads back exactly `value` (others it rounds, like buffer sizes).
 */
#define IT_NOVAL (-0x7fffffff)
struct it_opt {
	const char *name;
	int level, opt, value, keep;
};

/* Sets every option with a value; FAIL on an error. */
static inline void it_set_opts(int fd, const struct it_opt *o, int n)
{
	int i;
	for (i = 0; i < n; i++)
		if (o[i].value != IT_NOVAL && setsockopt(fd, o[i].level, o[i].opt, &o[i].value, sizeof(int)))
			zdtm_fail("setsockopt %s: %m", o[i].name);
}

/* Reads every option into v[]; FAIL (`when` says at which point) if a kept one is not as set. */
static inline void it_get_opts(int fd, const struct it_opt *o, int n, int *v, const char *when)
{
	int i;
	for (i = 0; i < n; i++) {
		v[i] = ut_getint(fd, o[i].level, o[i].opt);
		if (when && o[i].keep && v[i] != o[i].value)
			zdtm_fail("%s reads %d %s, set %d", o[i].name, v[i], when, o[i].value);
	}
}

/* zdtm_check that every option of fd reads what was[] holds (and, if `as_set`, a kept one its value). */
static inline void it_check_opts(const char *who, int fd, const struct it_opt *o, int n, const int *was, int as_set)
{
	int i, now;
	for (i = 0; i < n; i++) {
		now = ut_getint(fd, o[i].level, o[i].opt);
		zdtm_check(now == was[i], "%s: %s reads %d, was %d", who, o[i].name, now, was[i]);
		if (as_set && o[i].keep)
			zdtm_check(now == o[i].value, "%s: %s reads %d, set %d", who, o[i].name, now, o[i].value);
	}
}

/* ---- waiting and reading ---- */

/* poll() revents right now (POLLIN|POLLOUT|POLLRDHUP|POLLPRI asked; HUP/ERR come anyway). */
static inline short it_revents(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

/* 1 if fd becomes readable within ms. */
static inline int it_readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, ms) == 1;
}

/*
 * 1 as soon as fd is readable, 0 once the zdtm_now_ns() deadline end_ns has passed; for loops
 * that take packets until a deadline: while (it_readable_by(fd, end)) { n = recv(...); ... }.
 */
static inline int it_readable_by(int fd, uint64_t end_ns)
{
	uint64_t now;
	while ((now = zdtm_now_ns()) < end_ns) {
		uint64_t left = (end_ns - now) / 1000000 + 1;
		if (it_readable(fd, left < 50 ? (int)left : 50))
			return 1;
	}
	return 0;
}

/* SIOCOUTQ, or -1. */
static inline int it_outq(int fd)
{
	int n = -1;
	ioctl(fd, SIOCOUTQ, &n);
	return n;
}

/* Waits up to ms for SIOCINQ of fd to reach want; returns the last value read. */
static inline int it_wait_inq(int fd, int want, int ms)
{
	int q, waited = 0;
	while ((q = ut_inq(fd)) != want && waited < ms) {
		zdtm_sleep_ms(5);
		waited += 5;
	}
	return q;
}

/*
 * Waits (tries rounds of 20 ms) until the total bytes c sent to s are either in c's send queue
 * or in s's receive queue and c's send queue stopped moving; the two counts in *outq, *inq.
 * Callers give it some 20 s, a bound, not a wait: a fast machine settles in a few rounds, a
 * slow guest (qemu's TCG in the kernel matrix) may need more than the 2-4 s once allowed.
 */
static inline void it_tcp_settle(int c, int s, int total, int tries, int *outq, int *inq)
{
	int i, prev = -2;
	*outq = *inq = -1;
	for (i = 0; i < tries; i++) {
		zdtm_sleep_ms(20);
		*outq = it_outq(c);
		*inq = ut_inq(s);
		if (*outq + *inq == total && *outq == prev)
			break;
		prev = *outq;
	}
}

/*
 * Reads exactly len stream bytes (the pattern of seed from stream offset off) within ms per
 * chunk; returns the bytes read that matched, or -1 if one did not.
 */
static inline long it_read_verify(int fd, size_t len, uint64_t seed, uint64_t off, int ms)
{
	static uint8_t buf[65536];
	size_t got = 0;
	while (got < len) {
		size_t want = len - got < sizeof(buf) ? len - got : sizeof(buf);
		ssize_t n = ut_recv_wait(fd, buf, want, 0, ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (zdtm_verify_at(buf, n, seed, off + got) >= 0)
			return -1;
		got += n;
	}
	return got;
}

/* Writes len bytes of the pattern of seed from offset off, waiting for room up to ms each time; returns the bytes written. */
static inline size_t it_write_pattern(int fd, size_t len, uint64_t seed, uint64_t off, int ms)
{
	static uint8_t buf[65536];
	size_t done = 0;
	while (done < len) {
		struct pollfd p = { fd, POLLOUT, 0 };
		size_t want = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t n;
		zdtm_fill_at(buf, want, seed, off + done);
		n = send(fd, buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			break;
		if (poll(&p, 1, ms) != 1)
			break;
	}
	return done;
}

/* 1 if len pattern bytes (seed, offset off) arrive within 5 s per chunk and all match. */
static inline int it_read_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	return it_read_verify(fd, len, seed, off, 5000) == (long)len;
}

/* 1 if all len pattern bytes (seed, offset off) could be sent (5 s for room each time). */
static inline int it_send_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	return it_write_pattern(fd, len, seed, off, 5000) == len;
}

/* 1 if msg sent on stream socket `from` arrives whole at `to` within 5 s, with nothing after it. */
static inline int it_pass(int from, int to, const char *msg)
{
	char buf[64];
	size_t len = strlen(msg);
	if (len > sizeof(buf) || send(from, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		return 0;
	return ut_read_full(to, buf, len, 5000) == len && !memcmp(buf, msg, len) && ut_empty(to);
}

/* Sends len bytes each way between client c and server s (patterns seed, seed + 1), checking them. */
static inline void it_exchange(const char *who, int c, int s, size_t len, uint64_t seed)
{
	static uint8_t buf[65536];
	zdtm_fill(buf, len, seed);
	zdtm_check(send(c, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "%s: client send: %m", who);
	memset(buf, 0, len);
	zdtm_check(ut_read_full(s, buf, len, 5000) == len && zdtm_verify(buf, len, seed) < 0,
		   "%s: client-to-server data differs", who);
	zdtm_fill(buf, len, seed + 1);
	zdtm_check(send(s, buf, len, MSG_NOSIGNAL) == (ssize_t)len, "%s: server send: %m", who);
	memset(buf, 0, len);
	zdtm_check(ut_read_full(c, buf, len, 5000) == len && zdtm_verify(buf, len, seed + 1) < 0,
		   "%s: server-to-client data differs", who);
}

/* recvfrom waiting up to ms (flags added to MSG_DONTWAIT); -2 if nothing came. from may be NULL. */
static inline ssize_t it_recvfrom_wait(int fd, void *buf, size_t len, int flags, void *from, socklen_t size, int ms)
{
	if (!it_readable(fd, ms))
		return -2;
	return recvfrom(fd, buf, len, flags | MSG_DONTWAIT, from, from ? &size : NULL);
}

/* recvmsg into buf with control buffer ctl, waiting up to ms; -2 if nothing came. *mh is for it_cmsg() (its iovec is static: use it before the next call). */
static inline ssize_t it_recvmsg_wait(int fd, void *buf, size_t len, void *ctl, size_t ctllen, struct msghdr *mh, int ms)
{
	static struct iovec iov;
	iov.iov_base = buf;
	iov.iov_len = len;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	mh->msg_control = ctl;
	mh->msg_controllen = ctllen;
	if (!it_readable(fd, ms)) {
		mh->msg_controllen = 0;
		return -2;
	}
	return recvmsg(fd, mh, MSG_DONTWAIT);
}

/* The data of the first control message of this level and type, or NULL. */
static inline const void *it_cmsg(struct msghdr *mh, int level, int type)
{
	struct cmsghdr *cm;
	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm))
		if (cm->cmsg_level == level && cm->cmsg_type == type)
			return CMSG_DATA(cm);
	return NULL;
}

/*
 * A datagram and the control messages that came with it: IP_PKTINFO or IPV6_PKTINFO, the TOS
 * (IP_TOS) or traffic class (IPV6_TCLASS), the TTL (IP_TTL) or hop limit (IPV6_HOPLIMIT); -1 where
 * none came.
 */
struct it_dgram {
	ssize_t n;
	int have_pktinfo, tos, ttl;
	union {
		struct in_pktinfo v4;
		struct in6_pktinfo v6;
	} pi;
	char data[64];
};

/* Receives one datagram into g, waiting up to ms (g->n: -2 if none came). */
static inline void it_recv_dgram(int fd, struct it_dgram *g, int ms)
{
	char ctl[256];
	struct msghdr mh;
	const void *d;

	memset(g, 0, sizeof(*g));
	g->tos = g->ttl = -1;
	g->n = it_recvmsg_wait(fd, g->data, sizeof(g->data), ctl, sizeof(ctl), &mh, ms);
	if (g->n < 0)
		return;
	if ((d = it_cmsg(&mh, IPPROTO_IP, IP_PKTINFO))) {
		memcpy(&g->pi.v4, d, sizeof(g->pi.v4));
		g->have_pktinfo = 1;
	}
	if ((d = it_cmsg(&mh, IPPROTO_IPV6, IPV6_PKTINFO))) {
		memcpy(&g->pi.v6, d, sizeof(g->pi.v6));
		g->have_pktinfo = 1;
	}
	if ((d = it_cmsg(&mh, IPPROTO_IP, IP_TOS)))
		g->tos = *(const unsigned char *)d;	/* one byte, unlike the others */
	if ((d = it_cmsg(&mh, IPPROTO_IPV6, IPV6_TCLASS)))
		memcpy(&g->tos, d, sizeof(int));
	if ((d = it_cmsg(&mh, IPPROTO_IP, IP_TTL)))
		memcpy(&g->ttl, d, sizeof(int));
	if ((d = it_cmsg(&mh, IPPROTO_IPV6, IPV6_HOPLIMIT)))
		memcpy(&g->ttl, d, sizeof(int));
}

/* ---- /proc/net ---- */

/* The local address as /proc/net/{tcp,udp,icmp}[6] print it: raw 32-bit words in hex, port in host order. */
static inline const char *it_proc_net_addr(const void *a)
{
	static char bufs[2][64];
	static int k;
	char *b = bufs[k++ & 1];
	union it_addr u = it_addr_of(a);
	if (u.sa.sa_family == AF_INET6)
		snprintf(b, 64, "%08X%08X%08X%08X:%04X", u.v6.sin6_addr.s6_addr32[0], u.v6.sin6_addr.s6_addr32[1],
			 u.v6.sin6_addr.s6_addr32[2], u.v6.sin6_addr.s6_addr32[3], ntohs(u.v6.sin6_port));
	else
		snprintf(b, 64, "%08X:%04X", u.v4.sin_addr.s_addr, ntohs(u.v4.sin_port));
	return b;
}

/*
 * The state (hex, TCP_LISTEN is 0x0A) of the row of a /proc/net/{tcp,udp,icmp}[6] file for fd's
 * inode, with local address `local` (NULL: any); -1 if there is none, -2 if the file or fd
 * cannot be read.
 */
static inline int it_proc_net_state(const char *file, const void *local, int fd)
{
	char line[512], loc[80];
	const char *want = local ? it_proc_net_addr(local) : NULL;
	unsigned st;
	unsigned long i;
	struct stat sb;
	int found = -1;
	FILE *f;
	if (fstat(fd, &sb))
		return -2;
	f = fopen(file, "r");
	if (!f)
		return -2;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %79s %*s %x %*s %*s %*s %*s %*s %lu", loc, &st, &i) == 3 && i == sb.st_ino &&
		    (!want || !strcmp(loc, want)))
			found = st;
	fclose(f);
	return found;
}

/* The /proc/net/netlink row of fd (protocol proto): 1 if found, with its port id and groups (may be NULL). */
static inline int it_netlink_row(int fd, int proto, unsigned *pid, unsigned *groups)
{
	char line[512];
	unsigned eth, p, g;
	unsigned long ino;
	struct stat st;
	int found = 0;
	FILE *f;
	if (fstat(fd, &st) || !(f = fopen("/proc/net/netlink", "r")))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %u %u %x %*s %*s %*s %*s %*s %lu", &eth, &p, &g, &ino) == 4 && ino == st.st_ino &&
		    eth == (unsigned)proto) {
			*pid = p;
			if (groups)
				*groups = g;
			found = 1;
		}
	fclose(f);
	return found;
}

/* Sends a netlink request of len bytes to the kernel; 1 if all of it went. */
static inline int it_nl_send(int fd, const void *req, size_t len)
{
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	return sendto(fd, req, len, 0, (struct sockaddr *)&k, sizeof(k)) == (ssize_t)len;
}

/*
 * Takes in batches of netlink messages from fd until the zdtm_now_ns() deadline end_ns, calling
 * fn(h, ctx) on each message; once fn has returned nonzero, the rest of that batch still goes
 * to fn and then it_nl_each returns 1 (0 at the deadline).
 */
static inline int it_nl_each(int fd, uint64_t end_ns, int (*fn)(struct nlmsghdr *h, void *ctx), void *ctx)
{
	static char buf[65536];
	int stop = 0;
	while (!stop && it_readable_by(fd, end_ns)) {
		struct nlmsghdr *h;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		for (h = (void *)buf; n > 0 && NLMSG_OK(h, n); h = NLMSG_NEXT(h, n))
			stop |= fn(h, ctx) != 0;
	}
	return stop;
}

/* ---- making sockets ---- */

/* A socket of a's family and type bound to a; FAIL "bind ADDR". */
static inline int it_bound(int type, const void *a)
{
	int fd = socket(((const struct sockaddr *)a)->sa_family, type, 0);
	if (fd < 0 || bind(fd, a, it_addr_len(a)))
		zdtm_fail("bind %s: %m", it_addr_str(a));
	return fd;
}

/* A UDP socket bound to a (port 0: the kernel picks one). */
static inline int it_udp_bound(const void *a)
{
	return it_bound(SOCK_DGRAM, a);
}

/* A TCP listener on a with SO_REUSEADDR (and SO_RCVBUF rcvbuf, inherited by what it accepts, if > 0); FAIL "listen on ADDR". */
static inline int it_tcp_listen(const void *a, int backlog, int rcvbuf)
{
	int l = socket(((const struct sockaddr *)a)->sa_family, SOCK_STREAM, 0);
	if (l < 0 || ut_setint(l, SOL_SOCKET, SO_REUSEADDR, 1) || (rcvbuf > 0 && ut_setint(l, SOL_SOCKET, SO_RCVBUF, rcvbuf)) ||
	    bind(l, a, it_addr_len(a)) || listen(l, backlog))
		zdtm_fail("listen on %s: %m", it_addr_str(a));
	return l;
}

/* A new TCP socket of the family; FAIL "socket". */
static inline int it_tcp_socket(int family)
{
	int fd = socket(family, SOCK_STREAM, 0);
	if (fd < 0)
		zdtm_fail("socket: %m");
	return fd;
}

/* Connects c to the listener l on a and accepts it; closes l; returns the accepted end (FAIL "connect"/"accept"). */
static inline int it_connect_accept(int l, int c, const void *a)
{
	int s;
	if (connect(c, a, it_addr_len(a)))
		zdtm_fail("connect: %m");
	s = accept(l, NULL, NULL);
	if (s < 0)
		zdtm_fail("accept: %m");
	close(l);
	return s;
}

/* An established connection over a: a listener there (backlog 1), client *c, accepted end *s; the listener closed. */
static inline void it_tcp_pair(const void *a, int *c, int *s)
{
	int l = it_tcp_listen(a, 1, 0);
	*c = it_tcp_socket(((const struct sockaddr *)a)->sa_family);
	*s = it_connect_accept(l, *c, a);
}

/*
 * zdtm_check that l is a TCP listener on want: getsockname gives want exactly, SO_ACCEPTCONN
 * and SO_REUSEADDR are 1, SO_TYPE, SO_DOMAIN and SO_PROTOCOL are stream, want's family and
 * TCP, tcpi_state is LISTEN and /proc/net/tcp[6] lists this very socket (by inode) as LISTEN
 * on want.
 */
static inline void it_check_tcp_listener(const char *who, int l, const void *want)
{
	int family = ((const struct sockaddr *)want)->sa_family;
	union it_addr a = it_sockname(l);
	zdtm_check(it_addr_eq(&a, want), "%s: bound to %s, expected %s", who, it_addr_str(&a), it_addr_str(want));
	UT_CHECK_INT(who, l, SOL_SOCKET, SO_ACCEPTCONN, 1);
	UT_CHECK_INT(who, l, SOL_SOCKET, SO_REUSEADDR, 1);
	UT_CHECK_INT(who, l, SOL_SOCKET, SO_TYPE, SOCK_STREAM);
	UT_CHECK_INT(who, l, SOL_SOCKET, SO_DOMAIN, family);
	UT_CHECK_INT(who, l, SOL_SOCKET, SO_PROTOCOL, IPPROTO_TCP);
	zdtm_check(it_tcp_state(l) == TCP_LISTEN, "%s: tcpi_state %d, expected LISTEN", who, it_tcp_state(l));
	zdtm_check(it_proc_net_state(family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp", want, l) == TCP_LISTEN,
		   "%s: /proc/net/tcp%s has no LISTEN row for this socket on %s", who, family == AF_INET6 ? "6" : "",
		   it_addr_str(want));
}

/* ---- established TCP connections ---- */

/* A repaired connection's MSS comes from the user MSS set before connect, which the kernel caps at 32767 less 12 bytes of timestamp option. */
#define IT_MSS_CAP (32767 - 12)

/* What is compared of one end of a connection before and after. */
struct it_tcp_side {
	union it_addr self, peer;
	int fl, mss;
	struct tcp_info ti;
};

static inline void it_tcp_record(int fd, struct it_tcp_side *s)
{
	socklen_t len = sizeof(s->ti);
	memset(s, 0, sizeof(*s));
	s->self = it_sockname(fd);
	s->peer = it_peername(fd);
	s->fl = fcntl(fd, F_GETFL);
	s->mss = ut_getint(fd, IPPROTO_TCP, TCP_MAXSEG);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &s->ti, &len);
}

/*
 * zdtm_check that the end is ESTABLISHED with the recorded addresses, file flags, MSS (or capped
 * at IT_MSS_CAP, the most a repaired socket can be given, if it was larger), TCP options and
 * window scales.
 */
static inline void it_tcp_check_side(const char *who, int fd, const struct it_tcp_side *was)
{
	struct it_tcp_side now;
	it_tcp_record(fd, &now);
	zdtm_check(now.ti.tcpi_state == TCP_ESTABLISHED, "%s: tcpi_state %d, expected ESTABLISHED", who, now.ti.tcpi_state);
	zdtm_check(it_addr_eq(&now.self, &was->self), "%s: local port %d, was %d", who, it_port(&now.self),
		   it_port(&was->self));
	zdtm_check(it_addr_eq(&now.peer, &was->peer), "%s: peer port %d, was %d", who, it_port(&now.peer),
		   it_port(&was->peer));
	zdtm_check(now.fl == was->fl, "%s: file flags %#x, were %#x", who, now.fl, was->fl);
	zdtm_check(now.mss == was->mss || (was->mss > IT_MSS_CAP && now.mss == IT_MSS_CAP), "%s: TCP_MAXSEG %d, was %d",
		   who, now.mss, was->mss);
	zdtm_check(now.ti.tcpi_options == was->ti.tcpi_options, "%s: tcpi_options %#x, were %#x", who,
		   now.ti.tcpi_options, was->ti.tcpi_options);
	zdtm_check(now.ti.tcpi_snd_wscale == was->ti.tcpi_snd_wscale && now.ti.tcpi_rcv_wscale == was->ti.tcpi_rcv_wscale,
		   "%s: window scales %d/%d, were %d/%d", who, now.ti.tcpi_snd_wscale, now.ti.tcpi_rcv_wscale,
		   was->ti.tcpi_snd_wscale, was->ti.tcpi_rcv_wscale);
}

/* One end of a connection carrying patterned streams: it sent `sent` bytes of the pattern of seed. */
struct it_end {
	const char *name;
	int fd;
	size_t sent;
	uint64_t seed;
};

/* Queues e's bytes (5 s for room each time); FAIL if they do not all go. */
static inline void it_queue(const struct it_end *e)
{
	if (it_write_pattern(e->fd, e->sent, e->seed, 0, 5000) != e->sent)
		zdtm_fail("%s could not queue %zu bytes: %m", e->name, e->sent);
}

/* Records client c and server s; FAIL unless each is the other's peer and s is on `server`. */
static inline void it_tcp_record_pair(int c, int s, const void *server, struct it_tcp_side *cw, struct it_tcp_side *sw)
{
	it_tcp_record(c, cw);
	it_tcp_record(s, sw);
	if (!it_addr_eq(&cw->self, &sw->peer) || !it_addr_eq(&cw->peer, &sw->self) || !it_addr_eq(&sw->self, server))
		zdtm_fail("the two ends do not match: client %s -> %s, server %s -> %s", it_addr_str(&cw->self),
			  it_addr_str(&cw->peer), it_addr_str(&sw->self), it_addr_str(&sw->peer));
}

/*
 * After the restore: each end reads exactly what the other queued, nothing more; then `more`
 * bytes each way continue both patterns and arrive, and again nothing more.
 */
static inline void it_tcp_check_streams(const struct it_end *c, const struct it_end *s, size_t more)
{
	const struct it_end *e[2] = { c, s };
	long n;
	int i;
	for (i = 0; i < 2; i++) {
		const struct it_end *to = e[1 - i], *from = e[i];
		n = it_read_verify(to->fd, from->sent, from->seed, 0, 5000);
		zdtm_check(n == (long)from->sent, "%s read %ld of the %zu queued bytes correctly (-1: wrong data)", to->name,
			   n, from->sent);
		zdtm_check(ut_empty(to->fd), "%s: more data than was sent", to->name);
	}
	for (i = 0; i < 2; i++)
		zdtm_check(it_write_pattern(e[i]->fd, more, e[i]->seed, e[i]->sent, 5000) == more,
			   "%s cannot send after restore: %m", e[i]->name);
	for (i = 0; i < 2; i++) {
		const struct it_end *to = e[1 - i], *from = e[i];
		n = it_read_verify(to->fd, more, from->seed, from->sent, 5000);
		zdtm_check(n == (long)more, "%s got %ld of %zu new bytes (-1: wrong data)", to->name, n, more);
	}
	zdtm_check(ut_empty(c->fd) && ut_empty(s->fd), "extra data after the new bytes");
}

/* ---- raw packets ---- */

/* Adds len bytes to a ones' complement sum of big-endian 16-bit words (an odd last byte padded). */
static inline uint32_t it_sum16(uint32_t s, const uint8_t *b, size_t len)
{
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (len & 1)
		s += b[len - 1] << 8;
	return s;
}

/* The Internet checksum of a sum (folded and complemented), in host order. */
static inline uint16_t it_csum(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/*
 * Sends an ICMP or ICMPv6 echo request of type req (identifier id, sequence seq, pay bytes of
 * the pattern of seed) through fd to `to`, then for up to 3 s counts the echo messages with
 * that identifier, sequence and payload fd receives: *replies of type rep and *requests (any
 * other type). It stops 200 ms after the first reply (a request would be there by then), or at
 * the first reply if stop_at_reply. raw4: fd is a raw IPv4 socket: the checksum is ours to
 * fill in and what it receives starts with the IP header. 0 if the request could not be sent.
 */
static inline int it_echo(int fd, const void *to, int raw4, int req, int rep, int id, int seq, uint64_t seed, size_t pay,
			  int stop_at_reply, int *replies, int *requests)
{
	uint8_t msg[8 + 64], buf[2048];
	size_t len = 8 + pay;
	uint64_t end = zdtm_now_ns() + 3000000000ULL;

	*replies = *requests = 0;
	if (pay > 64)
		return 0;
	memset(msg, 0, sizeof(msg));
	msg[0] = req;
	msg[4] = id >> 8;
	msg[5] = id & 0xff;
	msg[6] = seq >> 8;
	msg[7] = seq & 0xff;
	zdtm_fill(msg + 8, pay, seed);
	if (raw4) {
		uint16_t sum = htons(it_csum(it_sum16(0, msg, len)));
		memcpy(msg + 2, &sum, 2);
	}
	if (sendto(fd, msg, len, 0, to, it_addr_len(to)) != (ssize_t)len)
		return 0;
	while (it_readable_by(fd, end)) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		const uint8_t *m = buf;
		if (raw4) {
			if (n < 20)
				continue;
			m = buf + (buf[0] & 15) * 4;
			n -= m - buf;
		}
		if (n != (ssize_t)len || m[4] != msg[4] || m[5] != msg[5] || m[6] != msg[6] || m[7] != msg[7] ||
		    zdtm_verify(m + 8, pay, seed) >= 0)
			continue;
		if (m[0] == rep) {
			if (!(*replies)++) {
				if (stop_at_reply)
					break;
				end = zdtm_now_ns() + 200000000ULL;
			}
		} else {
			(*requests)++;
		}
	}
	return 1;
}

/*
 * A classic BPF program (9 instructions) for an AF_PACKET socket that passes only Ethernet
 * frames of IPv4 UDP datagrams to this destination port.
 */
#define IT_UDP4_DPORT_FILTER(port)                                                                                 \
	{                                                                                                          \
		{ BPF_LD | BPF_H | BPF_ABS, 0, 0, 12 },		/* ethertype */                                  \
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 6, ETH_P_IP },                                                     \
		{ BPF_LD | BPF_B | BPF_ABS, 0, 0, 23 },		/* IPv4 protocol */                              \
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 4, IPPROTO_UDP },                                                  \
		{ BPF_LDX | BPF_B | BPF_MSH, 0, 0, 14 },	/* X = IPv4 header length */                     \
		{ BPF_LD | BPF_H | BPF_IND, 0, 0, 16 },		/* UDP destination port */                       \
		{ BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (port) },                                                       \
		{ BPF_RET | BPF_K, 0, 0, 0xffff },                                                                 \
		{ BPF_RET | BPF_K, 0, 0, 0 },                                                                      \
	}

/* ---- a peer process outside the dumped tree ---- */

/* Writes a peer's result file (text replaces what was there). */
static inline void it_peer_result(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0) {
			/* nobody to tell */
		}
		close(fd);
	}
}

/* Reads a peer's result file into text (size bytes, NUL-terminated; empty if there is none). */
static inline void it_read_result(const char *path, char *text, size_t size)
{
	int fd = open(path, O_RDONLY);
	memset(text, 0, size);
	if (fd >= 0) {
		if (read(fd, text, size - 1) < 0)
			text[0] = '\0';
		close(fd);
	}
}

/*
 * The start of a peer process started by ut_spawn_outside(): default SIGTERM, its own session
 * (neither the test's session nor its process group), a 600 s alarm (never outlive a lost test
 * for long), /dev/null on 0-2, its pid reported and no other fd; then a TCP connection to a.
 * Returns the connected socket; if it cannot connect it says so in the result file and exits 1.
 */
static inline int it_peer_begin(const void *a, const char *result, int report)
{
	pid_t me = getpid();
	int fd, devnull;
	signal(SIGTERM, SIG_DFL);
	setsid();
	alarm(600);
	devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	if (write(report, &me, sizeof(me)) != sizeof(me))
		_exit(2);
	syscall(SYS_close_range, 3, ~0U, 0);
	fd = socket(((const struct sockaddr *)a)->sa_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, a, it_addr_len(a))) {
		it_peer_result(result, "peer could not connect\n");
		_exit(1);
	}
	return fd;
}

/*
 * The test's side of a peer outside the tree: listens on a (backlog 1), starts fn(arg) with
 * ut_spawn_outside() (its pid in *pid), accepts the peer's connection (waiting up to 10 s) and
 * closes the listener. Returns the accepted end; FAIL if that is not on a.
 */
static inline int it_accept_outside(const void *a, void (*fn)(void *, int), void *arg, pid_t *pid)
{
	int l = it_tcp_listen(a, 1, 0), s;
	union it_addr self;
	*pid = ut_spawn_outside(fn, arg);
	s = ut_accept_wait(l, 10000);
	if (s < 0)
		zdtm_fail("the peer did not connect: %m");
	close(l);
	self = it_sockname(s);
	if (!it_addr_eq(&self, a))
		zdtm_fail("the accepted end is on %s, not %s", it_addr_str(&self), it_addr_str(a));
	return s;
}

/* One state letter from /proc/PID/stat, or 0 when the pid is gone. */
static inline char it_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : 0;
}

/* zdtm_check that the peer is alive (not gone, not a zombie). */
static inline void it_check_peer_alive(pid_t pid)
{
	char st = it_proc_state(pid);
	zdtm_check(st != 0 && st != 'Z' && st != 'X', "the peer %d is gone (state %c)", pid, st ? st : '-');
}

/* SIGKILLs the peer and waits up to 2 s until it is gone (or a zombie of whoever adopted it). */
static inline void it_kill_peer(pid_t pid)
{
	int i;
	char st;
	kill(pid, SIGKILL);
	for (i = 0; i < 200; i++) {
		st = it_proc_state(pid);
		if (st == 0 || st == 'Z' || st == 'X')
			return;
		zdtm_sleep_ms(10);
	}
	zdtm_check(0, "the peer %d did not die", pid);
}

#endif
