/*
 * tcp_established_noopt: an established TCP connection dumped WITHOUT --tcp-established:
 * the dump must refuse it cleanly and leave the test running as it was (flag crfail).
 *
 * State: a client connected to a listener on 127.0.0.1:20171, the accepted end (the
 * listener is then closed); 1200 bytes (pattern 1711) queued to the server, 800 bytes
 * (pattern 1712) to the client, none read; TCP_NODELAY on the client.
 * Check after SIGTERM: both ends ESTABLISHED with the recorded addresses; TCP_NODELAY on
 * the client only; each end reads exactly its queued bytes, nothing more; then a message
 * goes each way.
 */
#include "inet_util.h"

#define PORT 20171

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr cself, sself, cpeer, speer;
	int c, s;
	uint8_t buf[1200];

	zdtm_init(argc, argv);
	it_tcp_pair(&a, &c, &s);
	if (ut_setint(c, IPPROTO_TCP, TCP_NODELAY, 1))
		zdtm_fail("TCP_NODELAY: %m");
	zdtm_fill(buf, 1200, 1711);
	if (send(c, buf, 1200, MSG_NOSIGNAL) != 1200)
		zdtm_fail("send: %m");
	zdtm_fill(buf, 800, 1712);
	if (send(s, buf, 800, MSG_NOSIGNAL) != 800)
		zdtm_fail("send: %m");
	it_wait_inq(s, 1200, 1000);
	cself = it_sockname(c);
	cpeer = it_peername(c);
	sself = it_sockname(s);
	speer = it_peername(s);
	if (cpeer.v4.sin_port != htons(PORT) || speer.v4.sin_port != cself.v4.sin_port)
		zdtm_fail("the two ends do not match");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(it_tcp_state(c) == TCP_ESTABLISHED && it_tcp_state(s) == TCP_ESTABLISHED,
		   "states %d/%d, expected ESTABLISHED", it_tcp_state(c), it_tcp_state(s));
	it_check_names("client", c, &cself, &cpeer);
	it_check_names("server", s, &sself, &speer);
	UT_CHECK_INT("client", c, IPPROTO_TCP, TCP_NODELAY, 1);
	UT_CHECK_INT("server", s, IPPROTO_TCP, TCP_NODELAY, 0);
	zdtm_check(it_read_pattern(s, 1200, 1711, 0) && ut_empty(s), "the server's queued data differs");
	zdtm_check(it_read_pattern(c, 800, 1712, 0) && ut_empty(c), "the client's queued data differs");
	zdtm_check(it_pass(c, s, "up"), "client-to-server message lost");
	zdtm_check(it_pass(s, c, "down"), "server-to-client message lost");
	zdtm_finish();
}
