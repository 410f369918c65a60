/*
 * tcp_established_v4: an established TCP connection over 127.0.0.1, both ends in the test,
 * with data queued both ways and data still waiting in a send queue (dumped with
 * --tcp-established).
 *
 * State: a client C connected to a listener on 127.0.0.1:20151; the accepted end S (the
 * listener is then closed). S has a tiny receive buffer (SO_RCVBUF 2048 on the listener,
 * inherited), C a large send buffer (SO_SNDBUFFORCE 1 MiB); C wrote 256 KiB (pattern 1511) that S has not read:
 * part sits in S's receive queue, the rest in C's send queue not yet sent (the window is
 * full). S wrote 5000 bytes (pattern 1512) that C has not read. C has TCP_NODELAY; S has
 * SO_KEEPALIVE with TCP_KEEPIDLE 300, TCP_KEEPINTVL 30, TCP_KEEPCNT 5. Recorded: addresses,
 * file flags, TCP_MAXSEG, tcpi_options and window scales, and that C's send queue was not
 * empty.
 * Check after SIGTERM: both ends ESTABLISHED; getsockname/getpeername as recorded (and
 * crosswise equal, the server side 127.0.0.1:20151); options as set (and unset on the other
 * end); MSS as recorded (or capped at 32755, the most a repaired socket can be given),
 * negotiated TCP options and window scales as recorded; S reads exactly the
 * 256 KiB pattern and C exactly the 5000 bytes, nothing more; then 1000 more bytes each way
 * (patterns continued at the right offsets) arrive in order, and again nothing more.
 */
#include "inet_util.h"

#define PORT 20151
#define C2S (256 << 10)
#define S2C 5000
#define MORE 1000

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	int l, c, s, outq, inq, idle = 300, intvl = 30, cnt = 5;
	struct it_tcp_side cw, sw;
	struct it_end ec, es;

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 1, 2048);
	c = it_tcp_socket(AF_INET);
	/* FORCE: net.core.wmem_max would cap SO_SNDBUF (Debian's default, 208 KiB, leaves too
	 * little room for the queue: the test failed in every guest of the kernel matrix). */
	if (ut_setint(c, SOL_SOCKET, SO_SNDBUFFORCE, 1 << 20))
		zdtm_fail("SO_SNDBUFFORCE: %m");
	s = it_connect_accept(l, c, &a);
	if (ut_setint(c, IPPROTO_TCP, TCP_NODELAY, 1) || ut_setint(s, SOL_SOCKET, SO_KEEPALIVE, 1) ||
	    ut_setint(s, IPPROTO_TCP, TCP_KEEPIDLE, idle) || ut_setint(s, IPPROTO_TCP, TCP_KEEPINTVL, intvl) ||
	    ut_setint(s, IPPROTO_TCP, TCP_KEEPCNT, cnt))
		zdtm_fail("setsockopt: %m");
	ec = (struct it_end){ "client", c, C2S, 1511 };
	es = (struct it_end){ "server", s, S2C, 1512 };
	it_queue(&es);
	it_queue(&ec);
	/* Wait until the queues stop moving: everything is either in S's receive queue or unsent. */
	it_tcp_settle(c, s, C2S, 1000, &outq, &inq);
	if (outq + inq != C2S || outq <= 0)
		zdtm_fail("queues did not settle as expected: %d in C's send queue, %d in S's receive queue", outq, inq);
	zdtm_log("%d bytes in C's send queue, %d in S's receive queue", outq, inq);
	it_tcp_record_pair(c, s, &a, &cw, &sw);

	zdtm_ready();
	zdtm_wait_for_term();

	it_tcp_check_side("client", c, &cw);
	it_tcp_check_side("server", s, &sw);
	UT_CHECK_INT("client", c, IPPROTO_TCP, TCP_NODELAY, 1);
	UT_CHECK_INT("server", s, IPPROTO_TCP, TCP_NODELAY, 0);
	UT_CHECK_INT("server", s, SOL_SOCKET, SO_KEEPALIVE, 1);
	UT_CHECK_INT("client", c, SOL_SOCKET, SO_KEEPALIVE, 0);
	UT_CHECK_INT("server", s, IPPROTO_TCP, TCP_KEEPIDLE, idle);
	UT_CHECK_INT("server", s, IPPROTO_TCP, TCP_KEEPINTVL, intvl);
	UT_CHECK_INT("server", s, IPPROTO_TCP, TCP_KEEPCNT, cnt);
	it_tcp_check_streams(&ec, &es, MORE);
	zdtm_finish();
}
