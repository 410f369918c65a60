/*
 * unix_shut_rdwr: an AF_UNIX stream socketpair with shutdown(SHUT_RDWR) on one end.
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM) A, B. A sent 600 bytes (seed 101) to B, B sent 800
 * (seed 102) to A, then shutdown(A, SHUT_RDWR). poll() revents of both ends recorded (both
 * hung up).
 * Check after SIGTERM: revents as before; neither end can send: EPIPE on both (MSG_NOSIGNAL);
 * A reads B's 800 bytes then 0 (EOF), B reads A's 600 bytes then 0, each twice; SO_ERROR 0.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int sv[2], eva, evb, i, e;
	uint8_t buf[4096];
	static const int len[2] = { 800, 600 };	/* bytes queued at end 0 (A) and end 1 (B) */
	ssize_t n;
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	zdtm_fill(buf, 600, 101);
	if (send(sv[0], buf, 600, 0) != 600)
		zdtm_fail("send A: %m");
	zdtm_fill(buf, 800, 102);
	if (send(sv[1], buf, 800, 0) != 800)
		zdtm_fail("send B: %m");
	if (shutdown(sv[0], SHUT_RDWR))
		zdtm_fail("shutdown: %m");
	eva = ut_revents(sv[0]);
	evb = ut_revents(sv[1]);
	zdtm_log("revents A %#x B %#x", eva, evb);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(sv[0]) == eva, "A: revents %#x, were %#x", ut_revents(sv[0]), eva);
	zdtm_check(ut_revents(sv[1]) == evb, "B: revents %#x, were %#x", ut_revents(sv[1]), evb);
	for (e = 0; e < 2; e++) {
		errno = 0;
		n = send(sv[e], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		zdtm_check(n == -1 && errno == EPIPE, "%c: send gave %zd (%m), expected EPIPE", "AB"[e], n);
		zdtm_check(ut_getint(sv[e], SOL_SOCKET, SO_ERROR) == 0, "%c: SO_ERROR set", "AB"[e]);
	}
	for (e = 0; e < 2; e++) {
		memset(buf, 0, sizeof(buf));
		got = ut_read_full(sv[e], buf, len[e], 1000);
		zdtm_check(got == (size_t)len[e] && zdtm_verify(buf, got, e ? 101 : 102) < 0,
			   "%c: read %zu of %d bytes", "AB"[e], got, len[e]);
		for (i = 0; i < 2; i++) {
			n = recv(sv[e], buf, sizeof(buf), MSG_DONTWAIT);
			zdtm_check(n == 0, "%c: recv %d after the data gave %zd (%m), expected EOF", "AB"[e], i, n);
		}
	}
	zdtm_finish();
}
