/*
 * unix_seqpacket_pair: an AF_UNIX SOCK_SEQPACKET socketpair with records queued both ways.
 *
 * State: socketpair(AF_UNIX, SOCK_SEQPACKET); end 0 sent 6 records of 3, 1, 100, 4096, 50000 and 0
 * bytes towards end 1, end 1 sent 4 of 9000, 0, 64 and 2 bytes towards end 0 (each a pattern of its
 * own seed); nothing read.
 * Check after SIGTERM: SO_TYPE SOCK_SEQPACKET and SO_PEERCRED this pid on both ends; SIOCINQ is the
 * total of the record sizes of each queue (for seqpacket the kernel sums them); each end receives
 * exactly its records in order, with their sizes and contents, boundaries kept: end 1 reads the
 * 4096-byte record into a 100-byte buffer and must get its first 100 bytes with MSG_TRUNC, the rest
 * discarded, the next record intact; then EAGAIN. The ends still talk to each other: a new record
 * each way.
 */
#include "unix_util.h"

static const int to1[] = { 3, 1, 100, 4096, 50000, 0 };
static const int to0[] = { 9000, 0, 64, 2 };
#define N1 (int)(sizeof(to1) / sizeof(to1[0]))
#define N0 (int)(sizeof(to0) / sizeof(to0[0]))
#define SHORT_IDX 3	/* in to1: read with a short buffer */
#define SHORT_LEN 100

static uint8_t buf[65536];

static ssize_t recv_one(int fd, size_t room, int *trunc)
{
	struct iovec iov = { buf, room };
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	*trunc = !!(mh.msg_flags & MSG_TRUNC);
	return n;
}

static void check_queue(int fd, int end, const int *sizes, int n, int seed0, int short_idx)
{
	int i, trunc, total = 0;

	for (i = 0; i < n; i++)
		total += sizes[i];
	zdtm_check(ut_inq(fd) == total, "end %d: SIOCINQ %d, records total %d bytes", end, ut_inq(fd), total);
	for (i = 0; i < n; i++) {
		int want = i == short_idx ? SHORT_LEN : sizes[i];
		ssize_t got;
		memset(buf, 0xee, sizes[i] + 16);
		got = recv_one(fd, i == short_idx ? SHORT_LEN : sizeof(buf), &trunc);
		if (!zdtm_check(got == want && trunc == (i == short_idx),
				"end %d: record %d: got %zd bytes (trunc %d), expected %d of %d", end, i, got, trunc,
				want, sizes[i]))
			continue;
		zdtm_check(zdtm_verify(buf, got, seed0 + i) < 0, "end %d: record %d differs at %zd", end, i,
			   zdtm_verify(buf, got, seed0 + i));
	}
	zdtm_check(ut_empty(fd), "end %d: more records than sent", end);
}

int main(int argc, char **argv)
{
	int sv[2], i, trunc;

	zdtm_init(argc, argv);
	ut_pair(SOCK_SEQPACKET, sv);
	for (i = 0; i < N1; i++) {
		zdtm_fill(buf, to1[i], 400 + i);
		if (send(sv[0], buf, to1[i], 0) != to1[i])
			zdtm_fail("send 0->1 #%d: %m", i);
	}
	for (i = 0; i < N0; i++) {
		zdtm_fill(buf, to0[i], 500 + i);
		if (send(sv[1], buf, to0[i], 0) != to0[i])
			zdtm_fail("send 1->0 #%d: %m", i);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 2; i++) {
		zdtm_check(ut_type(sv[i]) == SOCK_SEQPACKET, "end %d: SO_TYPE %d", i, ut_type(sv[i]));
		zdtm_check(ut_peer_pid(sv[i]) == getpid(), "end %d: peer pid %d", i, ut_peer_pid(sv[i]));
	}
	check_queue(sv[1], 1, to1, N1, 400, SHORT_IDX);
	check_queue(sv[0], 0, to0, N0, 500, -1);
	for (i = 0; i < 2; i++) {
		zdtm_fill(buf, 777, 600 + i);
		zdtm_check(send(sv[i], buf, 777, MSG_NOSIGNAL) == 777, "end %d: send after restore: %m", i);
		zdtm_check(ut_empty(sv[i]), "end %d: its own record came back", i);
		memset(buf, 0, 777);
		zdtm_check(recv_one(sv[1 - i], sizeof(buf), &trunc) == 777 && zdtm_verify(buf, 777, 600 + i) < 0,
			   "end %d: did not get end %d's new record", 1 - i, i);
	}
	zdtm_finish();
}
