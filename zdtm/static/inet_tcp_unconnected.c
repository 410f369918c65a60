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
#include "inet_util.h"

static void common(const char *who, int fd)
{
	zdtm_check(it_tcp_state(fd) == TCP_CLOSE, "%s: state %d, expected CLOSE", who, it_tcp_state(fd));
	UT_CHECK_INT(who, fd, SOL_SOCKET, SO_ACCEPTCONN, 0);
	zdtm_check(it_unconnected(fd), "%s: getpeername did not give ENOTCONN (%m)", who);
}

/* Listener l (already bound), client c: listen, connect to `to`, exchange a few bytes. */
static void use(const char *who, int l, int c, const void *to)
{
	int s;
	if (!zdtm_check(listen(l, 2) == 0, "%s: listen: %m", who))
		return;
	if (!zdtm_check(connect(c, to, it_addr_len(to)) == 0, "%s: connect: %m", who))
		return;
	s = accept(l, NULL, NULL);
	if (!zdtm_check(s >= 0, "%s: accept: %m", who))
		return;
	zdtm_check(it_pass(c, s, "hi!"), "%s: client-to-server data lost", who);
	zdtm_check(it_pass(s, c, "yo"), "%s: server-to-client data lost", who);
	close(c);	/* the client closes first: TIME_WAIT stays on its ephemeral port */
	zdtm_sleep_ms(20);
	close(s);
}

/* A socket without SO_REUSEADDR cannot bind a (held by another socket): 1 if so. */
static int held(const void *a)
{
	int x = socket(((const struct sockaddr *)a)->sa_family, SOCK_STREAM, 0);
	int r = bind(x, a, it_addr_len(a)) < 0 && errno == EADDRINUSE;
	close(x);
	return r;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a4 = it_lo4(20251), any4 = { .sin_family = AF_INET };
	struct sockaddr_in6 a6 = it_lo6(20252), any6 = { .sin6_family = AF_INET6 };
	int f4, f6, b4, b6;

	zdtm_init(argc, argv);
	f4 = it_tcp_socket(AF_INET);
	f6 = it_tcp_socket(AF_INET6);
	b4 = it_tcp_socket(AF_INET);
	b6 = it_tcp_socket(AF_INET6);
	if (ut_setint(b4, SOL_SOCKET, SO_REUSEADDR, 1) || bind(b4, (void *)&a4, sizeof(a4)))
		zdtm_fail("bind 127.0.0.1:20251: %m");
	if (ut_setint(b6, SOL_SOCKET, SO_REUSEADDR, 1) || bind(b6, (void *)&a6, sizeof(a6)))
		zdtm_fail("bind [::1]:20252: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	common("F4", f4);
	common("F6", f6);
	common("B4", b4);
	common("B6", b6);
	it_check_names("F4", f4, &any4, NULL);
	it_check_names("F6", f6, &any6, NULL);
	it_check_names("B4", b4, &a4, NULL);
	it_check_names("B6", b6, &a6, NULL);
	UT_CHECK_INT("B4", b4, SOL_SOCKET, SO_REUSEADDR, 1);
	UT_CHECK_INT("B6", b6, SOL_SOCKET, SO_REUSEADDR, 1);
	UT_CHECK_INT("F4", f4, SOL_SOCKET, SO_REUSEADDR, 0);
	UT_CHECK_INT("F6", f6, SOL_SOCKET, SO_REUSEADDR, 0);
	zdtm_check(held(&a4), "127.0.0.1:20251 is not held by B4 (a second bind: %m)");
	zdtm_check(held(&a6), "[::1]:20252 is not held by B6 (a second bind: %m)");
	use("v4", b4, f4, &a4);
	use("v6", b6, f6, &a6);
	zdtm_finish();
}
