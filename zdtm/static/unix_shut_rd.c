/*
 * unix_shut_rd: an AF_UNIX stream socketpair with shutdown(SHUT_RD) on one end.
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM) A, B. B sent 1500 bytes (seed 81) to A, A sent 900
 * bytes (seed 82) to B, then shutdown(A, SHUT_RD); after that A sent 100 more bytes (seed 82,
 * offset 900). poll() revents of both ends recorded.
 * Check after SIGTERM: revents as before; A still reads B's 1500 bytes, then recv returns 0
 * at once (read side shut), twice; B cannot send to A: EPIPE (MSG_NOSIGNAL); B reads A's
 * 1000 bytes and then EAGAIN (A's write side is open: no EOF); A can still send: 300 new bytes
 * reach B.
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
	zdtm_fill(buf, 1500, 81);
	if (send(b, buf, 1500, 0) != 1500)
		zdtm_fail("send B: %m");
	zdtm_fill(buf, 1000, 82);
	if (send(a, buf, 900, 0) != 900)
		zdtm_fail("send A: %m");
	if (shutdown(a, SHUT_RD))
		zdtm_fail("shutdown: %m");
	if (send(a, buf + 900, 100, 0) != 100)
		zdtm_fail("send A after shutdown: %m");
	eva = ut_revents(a);
	evb = ut_revents(b);
	zdtm_log("revents A %#x B %#x", eva, evb);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(a) == eva, "A: revents %#x, were %#x", ut_revents(a), eva);
	zdtm_check(ut_revents(b) == evb, "B: revents %#x, were %#x", ut_revents(b), evb);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(a, buf, 1500, 1000);
	zdtm_check(got == 1500 && zdtm_verify(buf, 1500, 81) < 0, "A: read %zu of B's 1500 bytes", got);
	for (i = 0; i < 2; i++) {
		n = recv(a, buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == 0, "A: recv %d after the data gave %zd (%m), expected 0 (read side shut)", i, n);
	}
	errno = 0;
	n = send(b, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EPIPE, "B: send to the read-shut A gave %zd (%m), expected EPIPE", n);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(b, buf, 1000, 1000);
	zdtm_check(got == 1000 && zdtm_verify(buf, 1000, 82) < 0, "B: read %zu of A's 1000 bytes", got);
	errno = 0;
	n = recv(b, buf, 1, MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EAGAIN, "B: recv after A's data gave %zd (%m), expected EAGAIN", n);
	zdtm_fill(buf, 300, 83);
	zdtm_check(send(a, buf, 300, MSG_NOSIGNAL | MSG_DONTWAIT) == 300, "A: send after restore: %m");
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(b, buf, 300, 1000);
	zdtm_check(got == 300 && zdtm_verify(buf, 300, 83) < 0, "B: got %zu of A's 300 new bytes", got);
	zdtm_finish();
}
