/*
 * unix_stream_peer_closed: stream and seqpacket socketpairs whose one end sent data and was
 * closed, the survivor holding the data and the end-of-file.
 *
 * State: stream pair: end A sent 2500 bytes (seed 41) and 1 more (seed 41, offset 2500) and was
 * closed, having no unread data of its own (so the survivor gets EOF, not ECONNRESET).
 * Seqpacket pair: end A sent records of 10, 2000 and 1 bytes (seeds 50-52) and was closed.
 * Both survivors' poll() revents and getpeername() results recorded.
 * Check after SIGTERM: each survivor's revents as before (readable, hung up), getpeername as
 * before (still referring to the dead peer), SO_ERROR 0; the stream survivor reads 2501 bytes
 * of the pattern in order, then recv returns 0 (twice: EOF stays); the seqpacket survivor reads
 * the three records with their sizes, then 0. send on either gives EPIPE (MSG_NOSIGNAL).
 */
#include "unix_util.h"

static const int recs[] = { 10, 2000, 1 };
#define NREC 3

int main(int argc, char **argv)
{
	int st[2], sq[2], ev_st, ev_sq, i;
	struct ut_addr pn_st, pn_sq;
	uint8_t buf[4096];
	ssize_t n;
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, st);
	ut_pair(SOCK_SEQPACKET, sq);
	zdtm_fill(buf, 2501, 41);
	if (send(st[0], buf, 2500, 0) != 2500 || send(st[0], buf + 2500, 1, 0) != 1)
		zdtm_fail("send: %m");
	for (i = 0; i < NREC; i++) {
		zdtm_fill(buf, recs[i], 50 + i);
		if (send(sq[0], buf, recs[i], 0) != recs[i])
			zdtm_fail("send record: %m");
	}
	close(st[0]);
	close(sq[0]);
	ev_st = ut_revents(st[1]);
	ev_sq = ut_revents(sq[1]);
	pn_st = ut_peername(st[1]);
	pn_sq = ut_peername(sq[1]);
	zdtm_log("revents stream %#x seqpacket %#x", ev_st, ev_sq);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(st[1]) == ev_st, "stream: revents %#x, were %#x", ut_revents(st[1]), ev_st);
	zdtm_check(ut_revents(sq[1]) == ev_sq, "seqpacket: revents %#x, were %#x", ut_revents(sq[1]), ev_sq);
	ut_check_name("stream", st[1], 1, &pn_st, NULL);
	ut_check_name("seqpacket", sq[1], 1, &pn_sq, NULL);
	zdtm_check(ut_type(st[1]) == SOCK_STREAM && ut_type(sq[1]) == SOCK_SEQPACKET, "socket types changed");
	zdtm_check(ut_getint(st[1], SOL_SOCKET, SO_ERROR) == 0 && ut_getint(sq[1], SOL_SOCKET, SO_ERROR) == 0,
		   "SO_ERROR set");

	zdtm_check(ut_read_pattern(st[1], 2501, 41, 0, 1000, &got), "stream: read %zu of 2501 bytes, or they differ", got);
	for (i = 0; i < 2; i++) {
		n = recv(st[1], buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == 0, "stream: recv %d after the data gave %zd (%m), not EOF", i, n);
	}
	for (i = 0; i < NREC; i++) {
		memset(buf, 0, sizeof(buf));
		n = recv(sq[1], buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == recs[i] && zdtm_verify(buf, n, 50 + i) < 0, "seqpacket: record %d: %zd bytes, expected %d",
			   i, n, recs[i]);
	}
	n = recv(sq[1], buf, sizeof(buf), MSG_DONTWAIT);
	zdtm_check(n == 0, "seqpacket: recv after the records gave %zd (%m), not EOF", n);

	errno = 0;
	zdtm_check(send(st[1], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "stream: send did not give EPIPE (%m)");
	errno = 0;
	zdtm_check(send(sq[1], "x", 1, MSG_NOSIGNAL) == -1 && errno == EPIPE, "seqpacket: send did not give EPIPE (%m)");
	zdtm_finish();
}
