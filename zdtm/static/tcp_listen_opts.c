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
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 20131

struct opt {
	const char *name;
	int level, opt, value;	/* value set; INT_MIN: set separately */
	int keep;		/* the kernel reads back exactly `value` */
};

#define NOVAL (-0x7fffffff)
static const struct opt opts[] = {
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
	{ "TCP_DEFER_ACCEPT", IPPROTO_TCP, TCP_DEFER_ACCEPT, NOVAL, 0 },
};
#define NOPTS (int)(sizeof(opts) / sizeof(opts[0]))

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

/* Everything comparable about a socket's options, as read back. */
struct snap {
	int v[NOPTS];
	struct linger lg;
	char dev[IFNAMSIZ];
};

static void take(int fd, struct snap *s)
{
	socklen_t len;
	int i;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < NOPTS; i++)
		s->v[i] = getint(fd, opts[i].level, opts[i].opt);
	len = sizeof(s->lg);
	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &s->lg, &len))
		s->lg.l_onoff = -1;
	len = sizeof(s->dev);
	if (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->dev, &len))
		strcpy(s->dev, "<error>");
}

static void compare(const char *who, const struct snap *was, const struct snap *now)
{
	int i;
	for (i = 0; i < NOPTS; i++)
		zdtm_check(was->v[i] == now->v[i], "%s: %s reads %d, was %d", who, opts[i].name, now->v[i], was->v[i]);
	zdtm_check(was->lg.l_onoff == now->lg.l_onoff && was->lg.l_linger == now->lg.l_linger,
		   "%s: SO_LINGER {%d, %d}, was {%d, %d}", who, now->lg.l_onoff, now->lg.l_linger, was->lg.l_onoff,
		   was->lg.l_linger);
	zdtm_check(!strcmp(was->dev, now->dev), "%s: SO_BINDTODEVICE \"%s\", was \"%s\"", who, now->dev, was->dev);
}

/* Connects a client that sends "ping", accepts it (waiting: the listener is nonblocking). */
static int connect_accept(int l, const struct sockaddr_in *a, int *cl)
{
	struct pollfd p = { l, POLLIN, 0 };
	int c = socket(AF_INET, SOCK_STREAM, 0), s;
	*cl = c;
	if (c < 0 || connect(c, (void *)a, sizeof(*a)) || send(c, "ping", 4, MSG_NOSIGNAL) != 4)
		return -1;
	if (poll(&p, 1, 5000) != 1)
		return -1;
	s = accept(l, NULL, NULL);
	return s;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, got;
	struct linger lg = { 1, 7 };
	struct snap lsnap, ssnap, now;
	int l, c, s, i, defer = 5, fl;
	char buf[8];
	socklen_t len;

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		zdtm_fail("socket: %m");
	for (i = 0; i < NOPTS; i++)
		if (opts[i].value != NOVAL && setsockopt(l, opts[i].level, opts[i].opt, &opts[i].value, sizeof(int)))
			zdtm_fail("setsockopt %s: %m", opts[i].name);
	if (setsockopt(l, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ||
	    setsockopt(l, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
		zdtm_fail("SO_LINGER/SO_BINDTODEVICE: %m");
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 32))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	if (setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof(defer)))
		zdtm_fail("TCP_DEFER_ACCEPT: %m");
	fl = fcntl(l, F_GETFL);
	if (fl < 0 || fcntl(l, F_SETFL, fl | O_NONBLOCK))
		zdtm_fail("O_NONBLOCK: %m");
	fl = fcntl(l, F_GETFL);
	take(l, &lsnap);
	for (i = 0; i < NOPTS; i++)
		if (opts[i].keep && lsnap.v[i] != opts[i].value)
			zdtm_fail("%s reads %d after setup, set %d", opts[i].name, lsnap.v[i], opts[i].value);
	if (lsnap.lg.l_onoff != 1 || lsnap.lg.l_linger != 7 || strcmp(lsnap.dev, "lo"))
		zdtm_fail("SO_LINGER or SO_BINDTODEVICE did not read back as set");
	s = connect_accept(l, &a, &c);
	if (s < 0)
		zdtm_fail("first connection: %m");
	take(s, &ssnap);
	for (i = 0; i < NOPTS; i++)
		zdtm_log("accepted socket inherits %s = %d (listener %d)", opts[i].name, ssnap.v[i], lsnap.v[i]);
	close(c);
	close(s);

	zdtm_ready();
	zdtm_wait_for_term();

	take(l, &now);
	compare("listener", &lsnap, &now);
	for (i = 0; i < NOPTS; i++)
		if (opts[i].keep)
			zdtm_check(now.v[i] == opts[i].value, "listener: %s reads %d, set %d", opts[i].name, now.v[i],
				   opts[i].value);
	zdtm_check(getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "listener is not listening");
	len = sizeof(got);
	zdtm_check(getsockname(l, (void *)&got, &len) == 0 && got.sin_port == htons(PORT) &&
		   got.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "listener bound to port %d", ntohs(got.sin_port));
	zdtm_check(fcntl(l, F_GETFL) == fl, "file flags %#x, were %#x", fcntl(l, F_GETFL), fl);
	s = accept(l, NULL, NULL);
	zdtm_check(s < 0 && errno == EAGAIN, "accept on the empty queue: %d (%m), expected EAGAIN", s);
	if (s >= 0)
		close(s);

	s = connect_accept(l, &a, &c);
	if (!zdtm_check(s >= 0, "a fresh connection is not accepted: %m"))
		zdtm_finish();
	take(s, &now);
	compare("accepted socket", &ssnap, &now);
	zdtm_check(recv(s, buf, sizeof(buf), 0) == 4 && !memcmp(buf, "ping", 4), "wrong data from the client");
	zdtm_check(send(s, "pong!", 5, MSG_NOSIGNAL) == 5, "send: %m");
	{
		struct pollfd p = { c, POLLIN, 0 };
		zdtm_check(poll(&p, 1, 5000) == 1 && recv(c, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "pong!", 5),
			   "wrong data from the server");
	}
	close(c);
	close(s);
	zdtm_finish();
}
