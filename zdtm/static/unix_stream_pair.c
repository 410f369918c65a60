/*
 * unix_stream_pair: an AF_UNIX SOCK_STREAM socketpair with data queued both ways.
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM); end 0 sent 1000 + 3000 + 17 bytes (one seeded
 * stream, seed 21) towards end 1, end 1 sent 5000 + 2 bytes (seed 22) towards end 0; nothing
 * read. poll() revents of both ends recorded.
 * Check after SIGTERM: SO_TYPE is SOCK_STREAM and SO_PEERCRED is this pid on both ends;
 * SIOCINQ is 4017 at end 1 and 5002 at end 0; revents as before; each end reads exactly its
 * bytes in order (pattern at the right stream offset), then EAGAIN; the ends are still
 * connected to each other: 700 new bytes each way arrive at the other end, and only there.
 */
#include "unix_util.h"

#define TO1 4017
#define TO0 5002

static uint8_t buf[8192];

int main(int argc, char **argv)
{
	int sv[2], ev0, ev1, i;
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	zdtm_fill(buf, TO1, 21);
	if (send(sv[0], buf, 1000, 0) != 1000 || send(sv[0], buf + 1000, 3000, 0) != 3000 ||
	    send(sv[0], buf + 4000, 17, 0) != 17)
		zdtm_fail("send 0->1: %m");
	zdtm_fill(buf, TO0, 22);
	if (send(sv[1], buf, 5000, 0) != 5000 || send(sv[1], buf + 5000, 2, 0) != 2)
		zdtm_fail("send 1->0: %m");
	ev0 = ut_revents(sv[0]);
	ev1 = ut_revents(sv[1]);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 2; i++) {
		zdtm_check(ut_type(sv[i]) == SOCK_STREAM, "end %d: SO_TYPE %d", i, ut_type(sv[i]));
		zdtm_check(ut_peer_pid(sv[i]) == getpid(), "end %d: peer pid %d", i, ut_peer_pid(sv[i]));
	}
	zdtm_check(ut_inq(sv[1]) == TO1, "end 1: %d bytes queued, expected %d", ut_inq(sv[1]), TO1);
	zdtm_check(ut_inq(sv[0]) == TO0, "end 0: %d bytes queued, expected %d", ut_inq(sv[0]), TO0);
	zdtm_check(ut_revents(sv[0]) == ev0, "end 0: revents %#x, were %#x", ut_revents(sv[0]), ev0);
	zdtm_check(ut_revents(sv[1]) == ev1, "end 1: revents %#x, were %#x", ut_revents(sv[1]), ev1);

	zdtm_check(ut_read_pattern(sv[1], TO1, 21, 0, 1000, &got), "end 1: read %zu of %d bytes, or they differ", got, TO1);
	zdtm_check(ut_empty(sv[1]), "end 1: more data than sent");
	zdtm_check(ut_read_pattern(sv[0], TO0, 22, 0, 1000, &got), "end 0: read %zu of %d bytes, or they differ", got, TO0);
	zdtm_check(ut_empty(sv[0]), "end 0: more data than sent");

	for (i = 0; i < 2; i++) {
		zdtm_fill(buf, 700, 30 + i);
		zdtm_check(send(sv[i], buf, 700, MSG_NOSIGNAL) == 700, "end %d: send after restore: %m", i);
		zdtm_check(ut_empty(sv[i]), "end %d: its own data came back", i);
		zdtm_check(ut_read_pattern(sv[1 - i], 700, 30 + i, 0, 1000, &got), "end %d: got %zu bytes of end %d's 700",
			   1 - i, got, i);
	}
	zdtm_finish();
}
