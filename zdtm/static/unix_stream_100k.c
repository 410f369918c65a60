/*
 * unix_stream_100k: an AF_UNIX stream socketpair with large amounts of data queued: 100 KiB
 * one way, 150 KiB (most of the default send buffer) the other way.
 *
 * State: socketpair(AF_UNIX, SOCK_STREAM), default buffers; end 0 sent 100 KiB (seed 71) in
 * 4 KiB sends towards end 1, end 1 sent 150 KiB (seed 72) in one nonblocking send towards end 0;
 * nothing read. SO_SNDBUF/SO_RCVBUF of both ends recorded.
 * Check after SIGTERM: buffer sizes as before; SIOCINQ 102400 at end 1, 153600 at end 0; each
 * end reads exactly its bytes (the pattern at the right stream offsets) and then gets EAGAIN;
 * the drained pair has its room back: 150 KiB nonblocking sends each way go through whole and
 * arrive intact.
 */
#include "unix_util.h"

#define TO1 (100 * 1024)
#define TO0 (150 * 1024)

static uint8_t buf[TO0];

static void drain(int fd, int end, size_t len, uint64_t seed)
{
	size_t got;
	memset(buf, 0, sizeof(buf));
	got = ut_read_full(fd, buf, len, 2000);
	zdtm_check(got == len, "end %d: read %zu of %zu bytes", end, got, len);
	zdtm_check(zdtm_verify(buf, got, seed) < 0, "end %d: data differs at %zd", end, zdtm_verify(buf, got, seed));
	zdtm_check(ut_empty(fd), "end %d: more data than sent", end);
}

int main(int argc, char **argv)
{
	int sv[2], bufs[2][2], i;
	size_t off;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	zdtm_fill(buf, TO1, 71);
	for (off = 0; off < TO1; off += 4096)
		if (send(sv[0], buf + off, 4096, MSG_DONTWAIT) != 4096)
			zdtm_fail("send 0->1 at %zu: %m", off);
	zdtm_fill(buf, TO0, 72);
	if (send(sv[1], buf, TO0, MSG_DONTWAIT) != TO0)
		zdtm_fail("send 1->0: %m");
	for (i = 0; i < 2; i++) {
		bufs[i][0] = ut_getint(sv[i], SOL_SOCKET, SO_SNDBUF);
		bufs[i][1] = ut_getint(sv[i], SOL_SOCKET, SO_RCVBUF);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 2; i++) {
		zdtm_check(ut_getint(sv[i], SOL_SOCKET, SO_SNDBUF) == bufs[i][0], "end %d: SO_SNDBUF %d, was %d", i,
			   ut_getint(sv[i], SOL_SOCKET, SO_SNDBUF), bufs[i][0]);
		zdtm_check(ut_getint(sv[i], SOL_SOCKET, SO_RCVBUF) == bufs[i][1], "end %d: SO_RCVBUF %d, was %d", i,
			   ut_getint(sv[i], SOL_SOCKET, SO_RCVBUF), bufs[i][1]);
	}
	zdtm_check(ut_inq(sv[1]) == TO1, "end 1: SIOCINQ %d, expected %d", ut_inq(sv[1]), TO1);
	zdtm_check(ut_inq(sv[0]) == TO0, "end 0: SIOCINQ %d, expected %d", ut_inq(sv[0]), TO0);
	drain(sv[1], 1, TO1, 71);
	drain(sv[0], 0, TO0, 72);
	for (i = 0; i < 2; i++) {
		ssize_t n;
		zdtm_fill(buf, TO0, 73 + i);
		n = send(sv[i], buf, TO0, MSG_DONTWAIT | MSG_NOSIGNAL);
		zdtm_check(n == TO0, "end %d: a 150 KiB send after draining sent %zd (%m)", i, n);
		if (n > 0)
			drain(sv[1 - i], 1 - i, n, 73 + i);
	}
	zdtm_finish();
}
