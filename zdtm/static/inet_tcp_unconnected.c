/*
 * inet_tcp_unconnected: TCP sockets that are neither listening nor connected.
 *
 * State: F4 and F6, fresh AF_INET and AF_INET6 stream sockets never bound; B4, an AF_INET
 * stream socket bound to 127.0.0.1:20251; B6, an AF_INET6 one bound to [::1]:20252; both
 * with SO_REUSEADDR (so a TIME_WAIT left on the port by an earlier run does not matter).
 * Neither listens.
 * Check after SIGTERM: all four are in state CLOSE, not listening, getpeername fails with
 * ENOTCONN; F4/F6 are bound to nothing (0.0.0.0:0 and [::]:0); B4 and B6 hold their
 * addresses: getsockname gives them and a socket without SO_REUSEADDR cannot bind
 * either address (EADDRINUSE); SO_REUSEADDR reads 1 on B4 and B6, 0 on F4 and F6. Then B4 and B6 listen on
 * the address they hold, F4 connects to B4 and F6 to B6 (each from a fresh ephemeral
 * port), and data goes both ways.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static int state_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

static void addrs(struct sockaddr_in *a4, struct sockaddr_in6 *a6)
{
	memset(a4, 0, sizeof(*a4));
	a4->sin_family = AF_INET;
	a4->sin_port = htons(20251);
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(a6, 0, sizeof(*a6));
	a6->sin6_family = AF_INET6;
	a6->sin6_port = htons(20252);
	a6->sin6_addr = in6addr_loopback;
}

static void common(const char *who, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	zdtm_check(state_of(fd) == TCP_CLOSE, "%s: state %d, expected CLOSE", who, state_of(fd));
	zdtm_check(getint(fd, SOL_SOCKET, SO_ACCEPTCONN) == 0, "%s: listening", who);
	zdtm_check(getpeername(fd, (void *)&ss, &len) < 0 && errno == ENOTCONN, "%s: getpeername did not give ENOTCONN (%m)",
		   who);
}

/* Listener l (already bound), client c: listen, connect to `to`, exchange a few bytes. */
static void use(const char *who, int l, int c, const void *to, socklen_t tolen)
{
	struct pollfd p;
	char buf[8];
	int s;
	if (!zdtm_check(listen(l, 2) == 0, "%s: listen: %m", who))
		return;
	if (!zdtm_check(connect(c, to, tolen) == 0, "%s: connect: %m", who))
		return;
	s = accept(l, NULL, NULL);
	if (!zdtm_check(s >= 0, "%s: accept: %m", who))
		return;
	zdtm_check(send(c, "hi!", 3, MSG_NOSIGNAL) == 3 && (p.fd = s, p.events = POLLIN, poll(&p, 1, 5000) == 1) &&
		   recv(s, buf, sizeof(buf), 0) == 3 && !memcmp(buf, "hi!", 3), "%s: client-to-server data lost", who);
	zdtm_check(send(s, "yo", 2, MSG_NOSIGNAL) == 2 && (p.fd = c, p.events = POLLIN, poll(&p, 1, 5000) == 1) &&
		   recv(c, buf, sizeof(buf), 0) == 2 && !memcmp(buf, "yo", 2), "%s: server-to-client data lost", who);
	close(c);	/* the client closes first: TIME_WAIT stays on its ephemeral port */
	zdtm_sleep_ms(20);
	close(s);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a4, g4;
	struct sockaddr_in6 a6, g6;
	int f4, f6, b4, b6, x, one = 1;
	socklen_t len;

	zdtm_init(argc, argv);
	addrs(&a4, &a6);
	f4 = socket(AF_INET, SOCK_STREAM, 0);
	f6 = socket(AF_INET6, SOCK_STREAM, 0);
	b4 = socket(AF_INET, SOCK_STREAM, 0);
	b6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (f4 < 0 || f6 < 0 || b4 < 0 || b6 < 0)
		zdtm_fail("socket: %m");
	if (setsockopt(b4, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(b4, (void *)&a4, sizeof(a4)))
		zdtm_fail("bind 127.0.0.1:20251: %m");
	if (setsockopt(b6, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(b6, (void *)&a6, sizeof(a6)))
		zdtm_fail("bind [::1]:20252: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	common("F4", f4);
	common("F6", f6);
	common("B4", b4);
	common("B6", b6);
	memset(&g4, 0xff, sizeof(g4));
	len = sizeof(g4);
	zdtm_check(getsockname(f4, (void *)&g4, &len) == 0 && g4.sin_family == AF_INET && g4.sin_port == 0 &&
		   g4.sin_addr.s_addr == 0, "F4 is bound to port %d", ntohs(g4.sin_port));
	memset(&g6, 0xff, sizeof(g6));
	len = sizeof(g6);
	zdtm_check(getsockname(f6, (void *)&g6, &len) == 0 && g6.sin6_family == AF_INET6 && g6.sin6_port == 0 &&
		   !memcmp(&g6.sin6_addr, &in6addr_any, 16), "F6 is bound to port %d", ntohs(g6.sin6_port));
	len = sizeof(g4);
	zdtm_check(getsockname(b4, (void *)&g4, &len) == 0 && !memcmp(&g4, &a4, sizeof(a4)),
		   "B4 is bound to port %d, expected 127.0.0.1:20251", ntohs(g4.sin_port));
	len = sizeof(g6);
	zdtm_check(getsockname(b6, (void *)&g6, &len) == 0 && !memcmp(&g6, &a6, sizeof(a6)),
		   "B6 is bound to port %d, expected [::1]:20252", ntohs(g6.sin6_port));
	zdtm_check(getint(b4, SOL_SOCKET, SO_REUSEADDR) == 1 && getint(b6, SOL_SOCKET, SO_REUSEADDR) == 1,
		   "B4 or B6 lost SO_REUSEADDR");
	zdtm_check(getint(f4, SOL_SOCKET, SO_REUSEADDR) == 0 && getint(f6, SOL_SOCKET, SO_REUSEADDR) == 0,
		   "SO_REUSEADDR set on F4 or F6");
	x = socket(AF_INET, SOCK_STREAM, 0);
	zdtm_check(bind(x, (void *)&a4, sizeof(a4)) < 0 && errno == EADDRINUSE,
		   "127.0.0.1:20251 is not held by B4 (a second bind: %m)");
	close(x);
	x = socket(AF_INET6, SOCK_STREAM, 0);
	zdtm_check(bind(x, (void *)&a6, sizeof(a6)) < 0 && errno == EADDRINUSE,
		   "[::1]:20252 is not held by B6 (a second bind: %m)");
	close(x);
	use("v4", b4, f4, &a4, sizeof(a4));
	use("v6", b6, f6, &a6, sizeof(a6));
	zdtm_finish();
}
