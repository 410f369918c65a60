/*
 * tcp_established_v6: an established TCP connection over ::1, both ends in the test, with
 * data queued both ways (dumped with --tcp-established).
 *
 * State: a client C (IPV6_TCLASS 0x20, SO_KEEPALIVE with TCP_KEEPIDLE 600) connected to a
 * listener on [::1]:20161; the accepted end S has TCP_NODELAY (the listener is then
 * closed). C wrote 7000 bytes (pattern 1611) and S 3000 bytes (pattern 1612), none read.
 * Recorded: addresses, file flags, TCP_MAXSEG, tcpi_options and window scales.
 * Check after SIGTERM: both ends ESTABLISHED; getsockname/getpeername as recorded
 * (crosswise equal, server side [::1]:20161); options as set and unset on the other end;
 * MSS as recorded (or capped at 32755, the most a repaired socket can be given), negotiated
 * TCP options and window scales as recorded; each end reads exactly the
 * bytes queued to it, nothing more; then 1000 more bytes each way (patterns continued)
 * arrive in order, and again nothing more.
 */
#include "inet_util.h"

#define PORT 20161
#define C2S 7000
#define S2C 3000
#define MORE 1000

int main(int argc, char **argv)
{
	struct sockaddr_in6 a = it_lo6(PORT);
	int l, c, s, tclass = 0x20, idle = 600, inq;
	struct it_tcp_side cw, sw;
	struct it_end ec, es;

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 1, 0);
	c = it_tcp_socket(AF_INET6);
	if (ut_setint(c, IPPROTO_IPV6, IPV6_TCLASS, tclass))
		zdtm_fail("IPV6_TCLASS: %m");
	s = it_connect_accept(l, c, &a);
	if (ut_setint(s, IPPROTO_TCP, TCP_NODELAY, 1) || ut_setint(c, SOL_SOCKET, SO_KEEPALIVE, 1) ||
	    ut_setint(c, IPPROTO_TCP, TCP_KEEPIDLE, idle))
		zdtm_fail("setsockopt: %m");
	ec = (struct it_end){ "client", c, C2S, 1611 };
	es = (struct it_end){ "server", s, S2C, 1612 };
	it_queue(&es);
	it_queue(&ec);
	inq = it_wait_inq(s, C2S, 1000);
	if (inq != C2S)
		zdtm_fail("%d bytes arrived at the server, expected %d", inq, C2S);
	it_tcp_record_pair(c, s, &a, &cw, &sw);

	zdtm_ready();
	zdtm_wait_for_term();

	it_tcp_check_side("client", c, &cw);
	it_tcp_check_side("server", s, &sw);
	UT_CHECK_INT("server", s, IPPROTO_TCP, TCP_NODELAY, 1);
	UT_CHECK_INT("client", c, IPPROTO_TCP, TCP_NODELAY, 0);
	UT_CHECK_INT("client", c, SOL_SOCKET, SO_KEEPALIVE, 1);
	UT_CHECK_INT("server", s, SOL_SOCKET, SO_KEEPALIVE, 0);
	UT_CHECK_INT("client", c, IPPROTO_TCP, TCP_KEEPIDLE, idle);
	UT_CHECK_INT("client", c, IPPROTO_IPV6, IPV6_TCLASS, tclass);
	UT_CHECK_INT("server", s, IPPROTO_IPV6, IPV6_TCLASS, 0);
	it_tcp_check_streams(&ec, &es, MORE);
	zdtm_finish();
}
