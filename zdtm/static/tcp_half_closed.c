/*
 * tcp_half_closed: a half-closed TCP connection, FIN_WAIT2 on one end and CLOSE_WAIT on
 * the other, both ends in the test (dumped with --tcp-established).
 *
 * State: a client C connected to a listener on 127.0.0.1:20201, the accepted end S (the
 * listener is then closed). C wrote 2000 bytes (pattern 2011) and then shutdown(SHUT_WR);
 * S wrote 3000 bytes (pattern 2012) to C. Nothing was read. Once the FIN is acknowledged C
 * is in FIN_WAIT2 and S in CLOSE_WAIT. poll() events of both are recorded.
 * Check after SIGTERM: tcpi_state FIN_WAIT2 and CLOSE_WAIT; addresses as recorded; poll()
 * events as recorded; S reads the 2000 bytes and then EOF (read returns 0, twice); C cannot
 * send any more (EPIPE); S sends 1000 more bytes (pattern continued) and C reads all 4000
 * in order; S then shuts down its side too and C sees EOF.
 */
#include "inet_util.h"

#define PORT 20201
#define C2S 2000
#define S2C 3000
#define MORE 1000

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr cself, cpeer, sself, speer;
	int c, s, i, eof;
	short cev, sev;
	uint8_t buf[S2C + MORE + 16];
	char b;

	zdtm_init(argc, argv);
	it_tcp_pair(&a, &c, &s);
	zdtm_fill(buf, C2S, 2011);
	if (send(c, buf, C2S, MSG_NOSIGNAL) != C2S || shutdown(c, SHUT_WR))
		zdtm_fail("client send/shutdown: %m");
	zdtm_fill(buf, S2C, 2012);
	if (send(s, buf, S2C, MSG_NOSIGNAL) != S2C)
		zdtm_fail("server send: %m");
	for (i = 0; i < 200 && (it_tcp_state(c) != TCP_FIN_WAIT2 || it_tcp_state(s) != TCP_CLOSE_WAIT); i++)
		zdtm_sleep_ms(10);
	if (it_tcp_state(c) != TCP_FIN_WAIT2 || it_tcp_state(s) != TCP_CLOSE_WAIT)
		zdtm_fail("states %d/%d, expected FIN_WAIT2/CLOSE_WAIT", it_tcp_state(c), it_tcp_state(s));
	zdtm_sleep_ms(50);	/* let the last ACKs settle before recording poll events */
	cev = it_revents(c);
	sev = it_revents(s);
	cself = it_sockname(c);
	cpeer = it_peername(c);
	sself = it_sockname(s);
	speer = it_peername(s);
	zdtm_log("poll events: client %#x, server %#x", cev, sev);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(it_tcp_state(c) == TCP_FIN_WAIT2, "client state %d, expected FIN_WAIT2", it_tcp_state(c));
	zdtm_check(it_tcp_state(s) == TCP_CLOSE_WAIT, "server state %d, expected CLOSE_WAIT", it_tcp_state(s));
	it_check_names("client", c, &cself, &cpeer);
	it_check_names("server", s, &sself, &speer);
	zdtm_check(it_revents(c) == cev, "client poll events %#x, were %#x", it_revents(c), cev);
	zdtm_check(it_revents(s) == sev, "server poll events %#x, were %#x", it_revents(s), sev);

	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full_eof(s, buf, C2S + 1, 5000, &eof) == C2S && zdtm_verify(buf, C2S, 2011) < 0 && eof,
		   "the server did not get the %d bytes followed by EOF", C2S);
	zdtm_check(recv(s, &b, 1, MSG_DONTWAIT) == 0, "the server's second read is not EOF");
	zdtm_check(send(c, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "the client could still send (%m)");
	zdtm_check(it_send_pattern(s, MORE, 2012, S2C), "the server cannot send: %m");
	zdtm_check(it_read_pattern(c, S2C + MORE, 2012, 0), "the client did not get the %d + %d bytes in order", S2C, MORE);
	zdtm_check(ut_empty(c), "the client got more data or an early EOF");
	zdtm_check(shutdown(s, SHUT_WR) == 0, "server shutdown: %m");
	zdtm_check(ut_read_full_eof(c, buf, 1, 5000, &eof) == 0 && eof, "the client did not see EOF");
	zdtm_finish();
}
