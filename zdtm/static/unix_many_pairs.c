/*
 * unix_many_pairs: 200 AF_UNIX socketpairs (stream, dgram and seqpacket in turn), each with
 * its own data queued.
 *
 * State: pair i has type (stream, dgram, seqpacket)[i % 3]; end 0 sent 1 + (37 i mod 900)
 * bytes (seed 1000 + 2i) to end 1 (as one message, or as two for stream pairs), end 1 sent
 * 53 i mod 700 bytes (seed 1001 + 2i; nothing when that is 0) to end 0.
 * Check after SIGTERM: every end has its pair's type and holds exactly the bytes sent to it
 * (SIOCINQ, contents, then EAGAIN); then end 0 of every pair sends its index (4 bytes) and
 * only its own partner must receive it: no two pairs swapped or crossed.
 */
#include "unix_util.h"

#define NP 200

static const int types[3] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
static int sv[NP][2];
static uint8_t buf[1024];

static int len0(int i) { return 1 + (37 * i) % 900; }
static int len1(int i) { return (53 * i) % 700; }

int main(int argc, char **argv)
{
	int i, e;

	zdtm_init(argc, argv);
	for (i = 0; i < NP; i++) {
		if (socketpair(AF_UNIX, types[i % 3], 0, sv[i]))
			zdtm_fail("socketpair %d: %m", i);
		zdtm_fill(buf, len0(i), 1000 + 2 * i);
		if (i % 3 == 0) {
			int h = len0(i) / 2;
			if (send(sv[i][0], buf, h, 0) != h || send(sv[i][0], buf + h, len0(i) - h, 0) != len0(i) - h)
				zdtm_fail("send %d: %m", i);
		} else if (send(sv[i][0], buf, len0(i), 0) != len0(i))
			zdtm_fail("send %d: %m", i);
		if (len1(i)) {
			zdtm_fill(buf, len1(i), 1001 + 2 * i);
			if (send(sv[i][1], buf, len1(i), 0) != len1(i))
				zdtm_fail("send back %d: %m", i);
		}
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NP; i++)
		for (e = 0; e < 2; e++) {
			int fd = sv[i][e], want = e ? len0(i) : len1(i);
			uint64_t seed = 1000 + 2 * i + !e;
			size_t got = 0;
			zdtm_check(ut_type(fd) == types[i % 3], "pair %d end %d: SO_TYPE %d", i, e, ut_type(fd));
			zdtm_check(ut_inq(fd) == want, "pair %d end %d: SIOCINQ %d, expected %d", i, e, ut_inq(fd), want);
			memset(buf, 0, sizeof(buf));
			if (want)
				got = ut_read_full(fd, buf, want, 1000);
			zdtm_check(got == (size_t)want && zdtm_verify(buf, got, seed) < 0, "pair %d end %d: read %zu of %d bytes",
				   i, e, got, want);
			zdtm_check(ut_empty(fd), "pair %d end %d: more data than sent", i, e);
		}
	for (i = 0; i < NP; i++) {
		uint32_t v = 0xabc00000u + i;
		zdtm_check(send(sv[i][0], &v, 4, MSG_NOSIGNAL) == 4, "pair %d: send: %m", i);
	}
	for (i = 0; i < NP; i++) {
		uint32_t v = 0;
		zdtm_check(ut_inq(sv[i][0]) == 0, "pair %d end 0: got data sent to others", i);
		zdtm_check(recv(sv[i][1], &v, 4, MSG_DONTWAIT) == 4 && v == 0xabc00000u + i,
			   "pair %d end 1: token %#x, expected %#x", i, v, 0xabc00000u + i);
		zdtm_check(ut_empty(sv[i][1]), "pair %d end 1: more than its token", i);
	}
	zdtm_finish();
}
