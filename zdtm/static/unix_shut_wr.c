/*
 * unix_shut_wr: an AF_UNIX stream socketpair with shutdown(SHUT_WR) on one end.
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM) A, B. A sent 1200 bytes (seed 91) to B, B sent 700
 * (seed 92) to A, then shutdown(A, SHUT_WR); after that B sent 50 more (seed 92, offset 700).
 * poll() revents of both ends recorded.
 * Check after SIGTERM: revents as before; A cannot send: EPIPE (MSG_NOSIGNAL); B reads A's
 * 1200 bytes, then recv returns 0 (EOF), twice; A reads B's 750 bytes, then EAGAIN (B's write
 * side is open); B can still send: 400 new bytes reach A.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int sv[2], a, b, eva, evb, i;
	uint8_t buf[4096];
	ssize_t n;
	size_t got;

	zdtm_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		zdtm_fail("socketpair: %m");
	a = sv[0];
	b = sv[1];
	zdtm_fill(buf, 1200, 91);
	if (send(a, buf, 1200, 0) != 1200)
		zdtm_fail("send A: %m");
	zdtm_fill(buf, 750, 92);
	if (send(b, buf, 700, 0) != 700)
		zdtm_fail("send B: %m");
	if (shutdown(a, SHUT_WR))
		zdtm_fail("shutdown: %m");
	if (send(b, buf + 700, 50, 0) != 50)
		zdtm_fail("send B after shutdown: %m");
	eva = ut_revents(a);
	evb = ut_revents(b);
	zdtm_log("revents A %#x B %#x", eva, evb);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(a) == eva, "A: revents %#x, were %#x", ut_revents(a), eva);
	zdtm_check(ut_revents(b) == evb, "B: revents %#x, were %#x", ut_revents(b), evb);
	errno = 0;
	n = send(a, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EPIPE, "A: send on the write-shut end gave %zd (%m), expected EPIPE", n);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(b, buf, 1200, 1000);
	zdtm_check(got == 1200 && zdtm_verify(buf, 1200, 91) < 0, "B: read %zu of A's 1200 bytes", got);
	for (i = 0; i < 2; i++) {
		n = recv(b, buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == 0, "B: recv %d after A's data gave %zd (%m), expected EOF", i, n);
	}
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(a, buf, 750, 1000);
	zdtm_check(got == 750 && zdtm_verify(buf, 750, 92) < 0, "A: read %zu of B's 750 bytes", got);
	errno = 0;
	n = recv(a, buf, 1, MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EAGAIN, "A: recv after B's data gave %zd (%m), expected EAGAIN", n);
	zdtm_fill(buf, 400, 93);
	zdtm_check(send(b, buf, 400, MSG_NOSIGNAL | MSG_DONTWAIT) == 400, "B: send after restore: %m");
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(a, buf, 400, 1000);
	zdtm_check(got == 400 && zdtm_verify(buf, 400, 93) < 0, "A: got %zu of B's 400 new bytes", got);
	zdtm_finish();
}
