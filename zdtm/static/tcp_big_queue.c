/*
 * tcp_big_queue: 1 MiB written into an established TCP connection that the reader has not
 * touched: the sender's send queue and the receiver's receive queue both hold a lot
 * (dumped with --tcp-established).
 *
 * State: a client A (SO_SNDBUFFORCE 1 MiB, read back doubled) connected to a listener on
 * 127.0.0.1:20211 with SO_RCVBUFFORCE 256 KiB, inherited by the accepted end B (the listener is
 * then closed). A wrote 1 MiB (pattern 2111) with nonblocking writes; B read nothing; the
 * queues are left to settle: everything is either in B's receive queue or in A's send
 * queue, and both are nonempty (the split is logged). B wrote 64 KiB (pattern 2112) that A
 * has not read. Recorded: addresses, file flags, MSS, TCP options, buffer sizes.
 * Check after SIGTERM: both ESTABLISHED with the recorded addresses, MSS (or capped at 32755,
 * the most a repaired socket can be given) and options;
 * SO_SNDBUF of A and SO_RCVBUF of B as recorded; B reads exactly the 1 MiB pattern (checked
 * at every offset) and A the 64 KiB, nothing more; then 1000 more bytes each way continue
 * both patterns, and nothing more.
 */
#include "inet_util.h"

#define PORT 20211
#define C2S (1 << 20)
#define S2C (64 << 10)
#define MORE 1000

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	int l, c, s, outq, inq, sndbuf, rcvbuf;
	struct it_tcp_side cw, sw;
	struct it_end ea, eb;

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 1, 0);
	/* As the send buffer: beyond net.core.rmem_max, which SO_RCVBUF would be capped at. */
	if (ut_setint(l, SOL_SOCKET, SO_RCVBUFFORCE, 256 << 10))
		zdtm_fail("SO_RCVBUFFORCE: %m");
	c = it_tcp_socket(AF_INET);
	/* FORCE: net.core.wmem_max would cap SO_SNDBUF (Debian's default, 208 KiB, leaves too
	 * little room for the queue: the test failed in every guest of the kernel matrix). */
	if (ut_setint(c, SOL_SOCKET, SO_SNDBUFFORCE, 1 << 20))
		zdtm_fail("SO_SNDBUFFORCE: %m");
	s = it_connect_accept(l, c, &a);
	ea = (struct it_end){ "A", c, C2S, 2111 };
	eb = (struct it_end){ "B", s, S2C, 2112 };
	it_queue(&eb);
	it_queue(&ea);
	it_tcp_settle(c, s, C2S, 1000, &outq, &inq);
	if (outq + inq != C2S || outq <= 0 || inq <= 0)
		zdtm_fail("queues did not settle as expected: %d in A's send queue, %d in B's receive queue", outq, inq);
	zdtm_log("%d bytes in A's send queue, %d in B's receive queue", outq, inq);
	sndbuf = ut_getint(c, SOL_SOCKET, SO_SNDBUF);
	rcvbuf = ut_getint(s, SOL_SOCKET, SO_RCVBUF);
	it_tcp_record_pair(c, s, &a, &cw, &sw);

	zdtm_ready();
	zdtm_wait_for_term();

	it_tcp_check_side("A", c, &cw);
	it_tcp_check_side("B", s, &sw);
	zdtm_check(ut_getint(c, SOL_SOCKET, SO_SNDBUF) == sndbuf, "A: SO_SNDBUF %d, was %d",
		   ut_getint(c, SOL_SOCKET, SO_SNDBUF), sndbuf);
	zdtm_check(ut_getint(s, SOL_SOCKET, SO_RCVBUF) == rcvbuf, "B: SO_RCVBUF %d, was %d",
		   ut_getint(s, SOL_SOCKET, SO_RCVBUF), rcvbuf);
	it_tcp_check_streams(&ea, &eb, MORE);
	zdtm_finish();
}
