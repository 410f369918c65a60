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
 * (unix_shut_wr.c builds this program for shutdown(A, SHUT_WR), where the roles swap: there B
 * is the end that reads EOF and A the one that gets EPIPE.)
 */
#include "unix_util.h"

/*
 * The end that reads the other's data and then EOF is X, the one whose send gives EPIPE is Y.
 * Y sends FIRST bytes (pattern SEED) to X, X sends BACK bytes (pattern SEED + 1) to Y, then
 * shutdown(A, HOW), then X sends LATE more bytes continuing its pattern; after the restore X
 * sends NEW bytes (pattern SEED + 2).
 */
#ifndef HOW
#define HOW SHUT_RD
#define X_IS_A 1
#define FIRST 1500
#define BACK 900
#define LATE 100
#define NEW 300
#define SEED 81
#define SHUT_SIDE "A's read side shut"
#endif

int main(int argc, char **argv)
{
	int sv[2], x, y, evx, evy, i;
	char xn = X_IS_A ? 'A' : 'B', yn = X_IS_A ? 'B' : 'A';
	uint8_t buf[4096];
	ssize_t n;
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	x = sv[X_IS_A ? 0 : 1];
	y = sv[X_IS_A ? 1 : 0];
	zdtm_fill(buf, FIRST, SEED);
	if (send(y, buf, FIRST, 0) != FIRST)
		zdtm_fail("send %c: %m", yn);
	zdtm_fill(buf, BACK + LATE, SEED + 1);
	if (send(x, buf, BACK, 0) != BACK)
		zdtm_fail("send %c: %m", xn);
	if (shutdown(sv[0], HOW))
		zdtm_fail("shutdown: %m");
	if (send(x, buf + BACK, LATE, 0) != LATE)
		zdtm_fail("send %c after shutdown: %m", xn);
	evx = ut_revents(x);
	evy = ut_revents(y);
	zdtm_log("revents A %#x B %#x", X_IS_A ? evx : evy, X_IS_A ? evy : evx);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(x) == evx, "%c: revents %#x, were %#x", xn, ut_revents(x), evx);
	zdtm_check(ut_revents(y) == evy, "%c: revents %#x, were %#x", yn, ut_revents(y), evy);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(x, buf, FIRST, 1000);
	zdtm_check(got == FIRST && zdtm_verify(buf, FIRST, SEED) < 0, "%c: read %zu of %c's %d bytes", xn, got, yn, FIRST);
	for (i = 0; i < 2; i++) {
		n = recv(x, buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == 0, "%c: recv %d after %c's data gave %zd (%m), expected 0 (%s)", xn, i, yn, n, SHUT_SIDE);
	}
	errno = 0;
	n = send(y, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EPIPE, "%c: send gave %zd (%m), expected EPIPE (%s)", yn, n, SHUT_SIDE);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(y, buf, BACK + LATE, 1000);
	zdtm_check(got == BACK + LATE && zdtm_verify(buf, BACK + LATE, SEED + 1) < 0, "%c: read %zu of %c's %d bytes", yn,
		   got, xn, BACK + LATE);
	errno = 0;
	n = recv(y, buf, 1, MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EAGAIN, "%c: recv after %c's data gave %zd (%m), expected EAGAIN", yn, xn, n);
	zdtm_fill(buf, NEW, SEED + 2);
	zdtm_check(send(x, buf, NEW, MSG_NOSIGNAL | MSG_DONTWAIT) == NEW, "%c: send after restore: %m", xn);
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(y, buf, NEW, 1000);
	zdtm_check(got == NEW && zdtm_verify(buf, NEW, SEED + 2) < 0, "%c: got %zu of %c's %d new bytes", yn, got, xn, NEW);
	zdtm_finish();
}
