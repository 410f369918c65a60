/*
 * tcp_listen_opts: a TCP listener on 127.0.0.1:20131 with many socket options set.
 *
 * State: before bind: SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, TCP_KEEPIDLE 77,
 * TCP_KEEPINTVL 13, TCP_KEEPCNT 4, TCP_NODELAY, TCP_USER_TIMEOUT 12345, IP_TOS 0x28,
 * IP_FREEBIND, SO_PRIORITY 5, SO_MARK 0x2a5 (root), SO_LINGER {1, 7}, SO_RCVBUF 98304,
 * SO_SNDBUF 81920, SO_BINDTODEVICE "lo"; after listen: TCP_DEFER_ACCEPT 5 and O_NONBLOCK.
 * Every value is read back after setup (the kernel rounds some: buffer sizes doubled,
 * DEFER_ACCEPT turned into retransmits) and those read-backs are recorded. A connection
 * accepted before the checkpoint records what an accepted socket inherits.
 * Check after SIGTERM: every option of the listener reads back exactly as recorded (and the
 * set values themselves where the kernel keeps them as given), the address is
 * 127.0.0.1:20131, the file is O_NONBLOCK (accept on the empty queue gives EAGAIN); a fresh
 * client connects and sends (DEFER_ACCEPT), the connection is accepted, its inherited
 * options equal those recorded from the first accepted socket, and data flows both ways.
 */
#include "inet_util.h"
#include <net/if.h>

#define PORT 20131

static const struct it_opt opts[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, 1, 1 },
	{ "SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT, 1, 1 },
	{ "SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE, 1, 1 },
	{ "TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE, 77, 1 },
	{ "TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL, 13, 1 },
	{ "TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT, 4, 1 },
	{ "TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY, 1, 1 },
	{ "TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT, 12345, 1 },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, 0x28, 1 },
	{ "IP_FREEBIND", IPPROTO_IP, IP_FREEBIND, 1, 1 },
	{ "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY, 5, 1 },
	{ "SO_MARK", SOL_SOCKET, SO_MARK, 0x2a5, 1 },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 98304, 0 },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, 81920, 0 },
	{ "TCP_DEFER_ACCEPT", IPPROTO_TCP, TCP_DEFER_ACCEPT, IT_NOVAL, 0 },
};
#define NOPTS (int)(sizeof(opts) / sizeof(opts[0]))

/* Everything comparable about a socket's options, as read back. */
struct snap {
	int v[NOPTS];
	struct linger lg;
	char dev[IFNAMSIZ];
};

static void take(int fd, struct snap *s, const char *when)
{
	socklen_t len;
	memset(s, 0, sizeof(*s));
	it_get_opts(fd, opts, NOPTS, s->v, when);
	len = sizeof(s->lg);
	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &s->lg, &len))
		s->lg.l_onoff = -1;
	len = sizeof(s->dev);
	if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->dev, &len))
		strcpy(s->dev, "<error>");
}

/* The options of fd read back as in was (and, as_set, the kept ones as set). */
static void compare(const char *who, const struct snap *was, int fd, int as_set)
{
	struct snap now;
	take(fd, &now, NULL);
	it_check_opts(who, fd, opts, NOPTS, was->v, as_set);
	zdtm_check(was->lg.l_onoff == now.lg.l_onoff && was->lg.l_linger == now.lg.l_linger,
		   "%s: SO_LINGER {%d, %d}, was {%d, %d}", who, now.lg.l_onoff, now.lg.l_linger, was->lg.l_onoff,
		   was->lg.l_linger);
	zdtm_check(!strcmp(was->dev, now.dev), "%s: SO_BINDTODEVICE \"%s\", was \"%s\"", who, now.dev, was->dev);
}

/* Connects a client that sends "ping", accepts it (waiting: the listener is nonblocking). */
static int connect_accept(int l, const struct sockaddr_in *a, int *cl)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	*cl = c;
	if (c < 0 || connect(c, (void *)a, sizeof(*a)) || send(c, "ping", 4, MSG_NOSIGNAL) != 4)
		return -1;
	if (!it_readable(l, 5000))
		return -1;
	return accept(l, NULL, NULL);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	struct linger lg = { 1, 7 };
	struct snap lsnap, ssnap;
	int l, c, s, i, fl;
	char buf[8];

	zdtm_init(argc, argv);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		zdtm_fail("socket: %m");
	it_set_opts(l, opts, NOPTS);
	if (setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ||
	    setsockopt(l, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
		zdtm_fail("SO_LINGER/SO_BINDTODEVICE: %m");
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 32))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	if (ut_setint(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, 5))
		zdtm_fail("TCP_DEFER_ACCEPT: %m");
	fl = fcntl(l, F_GETFL);
	if (fl < 0 || fcntl(l, F_SETFL, fl | O_NONBLOCK))
		zdtm_fail("O_NONBLOCK: %m");
	fl = fcntl(l, F_GETFL);
	take(l, &lsnap, "after setup");
	if (lsnap.lg.l_onoff != 1 || lsnap.lg.l_linger != 7 || strcmp(lsnap.dev, "lo"))
		zdtm_fail("SO_LINGER or SO_BINDTODEVICE did not read back as set");
	s = connect_accept(l, &a, &c);
	if (s < 0)
		zdtm_fail("first connection: %m");
	take(s, &ssnap, NULL);
	for (i = 0; i < NOPTS; i++)
		zdtm_log("accepted socket inherits %s = %d (listener %d)", opts[i].name, ssnap.v[i], lsnap.v[i]);
	close(c);
	close(s);

	zdtm_ready();
	zdtm_wait_for_term();

	compare("listener", &lsnap, l, 1);
	UT_CHECK_INT("listener", l, SOL_SOCKET, SO_ACCEPTCONN, 1);
	it_check_names("listener", l, &a, NULL);
	zdtm_check(fcntl(l, F_GETFL) == fl, "file flags %#x, were %#x", fcntl(l, F_GETFL), fl);
	s = accept(l, NULL, NULL);
	zdtm_check(s < 0 && errno == EAGAIN, "accept on the empty queue: %d (%m), expected EAGAIN", s);
	if (s >= 0)
		close(s);

	s = connect_accept(l, &a, &c);
	if (!zdtm_check(s >= 0, "a fresh connection is not accepted: %m"))
		zdtm_finish();
	compare("accepted socket", &ssnap, s, 0);
	zdtm_check(recv(s, buf, sizeof(buf), 0) == 4 && !memcmp(buf, "ping", 4), "wrong data from the client");
	zdtm_check(send(s, "pong!", 5, MSG_NOSIGNAL) == 5, "send: %m");
	zdtm_check(it_readable(c, 5000) && recv(c, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "pong!", 5),
		   "wrong data from the server");
	close(c);
	close(s);
	zdtm_finish();
}
