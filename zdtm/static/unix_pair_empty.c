/*
 * unix_pair_empty: AF_UNIX socketpairs of all three types with nothing queued.
 *
 * State: socketpair()s of SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET, no data ever sent;
 * poll() revents of each end recorded (writable, not readable).
 * Check after SIGTERM: each end has its type, SO_PEERCRED this pid, SO_ERROR 0, SIOCINQ 0,
 * revents as before and nothing to read (EAGAIN); then each end sends 300 bytes (a pattern of its
 * own seed) and exactly its partner, not a socket of another pair, receives them.
 */
#include "unix_util.h"

static const int types[3] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

int main(int argc, char **argv)
{
	int sv[3][2], ev[3][2], t, e, k;
	uint8_t buf[512];

	zdtm_init(argc, argv);
	for (t = 0; t < 3; t++) {
		if (socketpair(AF_UNIX, types[t], 0, sv[t]))
			zdtm_fail("socketpair(%d): %m", types[t]);
		for (e = 0; e < 2; e++)
			ev[t][e] = ut_revents(sv[t][e]);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (t = 0; t < 3; t++)
		for (e = 0; e < 2; e++) {
			int fd = sv[t][e];
			zdtm_check(ut_type(fd) == types[t], "pair %d end %d: SO_TYPE %d, expected %d", t, e, ut_type(fd),
				   types[t]);
			zdtm_check(ut_peer_pid(fd) == getpid(), "pair %d end %d: peer pid %d", t, e, ut_peer_pid(fd));
			zdtm_check(ut_getint(fd, SOL_SOCKET, SO_ERROR) == 0, "pair %d end %d: SO_ERROR %d", t, e,
				   ut_getint(fd, SOL_SOCKET, SO_ERROR));
			zdtm_check(ut_inq(fd) == 0, "pair %d end %d: SIOCINQ %d", t, e, ut_inq(fd));
			zdtm_check(ut_revents(fd) == ev[t][e], "pair %d end %d: revents %#x, were %#x", t, e,
				   ut_revents(fd), ev[t][e]);
			zdtm_check(ut_empty(fd), "pair %d end %d: something to read", t, e);
		}
	for (t = 0; t < 3; t++)
		for (e = 0; e < 2; e++) {
			ssize_t n;
			zdtm_fill(buf, 300, 10 * t + e + 1);
			zdtm_check(send(sv[t][e], buf, 300, MSG_NOSIGNAL) == 300, "pair %d end %d: send: %m", t, e);
			for (k = 0; k < 6; k++) {
				int fd = sv[k / 2][k % 2];
				if (fd == sv[t][1 - e])
					continue;
				zdtm_check(ut_inq(fd) == 0, "pair %d end %d's data reached pair %d end %d", t, e, k / 2,
					   k % 2);
			}
			memset(buf, 0, sizeof(buf));
			n = ut_read_full(sv[t][1 - e], buf, 300, 1000);
			zdtm_check(n == 300 && zdtm_verify(buf, 300, 10 * t + e + 1) < 0,
				   "pair %d end %d: got %zd bytes of its partner's 300", t, 1 - e, n);
			zdtm_check(ut_empty(sv[t][1 - e]), "pair %d end %d: more than its partner sent", t, 1 - e);
		}
	zdtm_finish();
}
