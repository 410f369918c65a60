/*
 * unix_dgram_pair: an AF_UNIX SOCK_DGRAM socketpair with datagrams queued both ways.
 *
 * State: socketpair(AF_UNIX, SOCK_DGRAM); end 0 sent 7 datagrams of 1, 0, 100, 4096, 65000,
 * 7 and 333 bytes towards end 1, end 1 sent 5 of 2048, 5, 0, 30000 and 1 bytes towards end 0
 * (each a pattern of its own seed); nothing read.
 * Check after SIGTERM: SO_TYPE SOCK_DGRAM and SO_PEERCRED this pid on both ends; SIOCINQ is the
 * size of the first datagram of each queue; each end receives exactly its datagrams, in order,
 * with their sizes (boundaries kept, zero-length ones included, no MSG_TRUNC) and contents, then
 * EAGAIN; the ends still talk to each other: a new datagram each way arrives with the sender
 * address the kernel gave for a probe datagram before the checkpoint (unbound: length 0).
 */
#include "unix_util.h"

#define BIG 70000

static const int to1[] = { 1, 0, 100, 4096, 65000, 7, 333 };
static const int to0[] = { 2048, 5, 0, 30000, 1 };
#define N1 (int)(sizeof(to1) / sizeof(to1[0]))
#define N0 (int)(sizeof(to0) / sizeof(to0[0]))

static uint8_t buf[BIG];

/* Receives one datagram into buf; returns its length, -1 on error; *trunc gets MSG_TRUNC. */
static ssize_t recv_one(int fd, int *trunc, struct ut_addr *from)
{
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	memset(from, 0, sizeof(*from));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_name = &from->sa;
	mh.msg_namelen = sizeof(from->sa);
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	from->len = mh.msg_namelen;
	*trunc = !!(mh.msg_flags & MSG_TRUNC);
	return n;
}

static void check_queue(int fd, int end, const int *sizes, int n, int seed0)
{
	struct ut_addr from;
	int i, trunc;

	zdtm_check(ut_inq(fd) == sizes[0], "end %d: SIOCINQ %d, first datagram has %d bytes", end, ut_inq(fd),
		   sizes[0]);
	for (i = 0; i < n; i++) {
		ssize_t got;
		memset(buf, 0xee, sizes[i] + 16);
		got = recv_one(fd, &trunc, &from);
		if (!zdtm_check(got == sizes[i] && !trunc, "end %d: datagram %d has %zd bytes (trunc %d), expected %d",
				end, i, got, trunc, sizes[i]))
			continue;
		zdtm_check(zdtm_verify(buf, got, seed0 + i) < 0, "end %d: datagram %d differs at %zd", end, i,
			   zdtm_verify(buf, got, seed0 + i));
	}
	zdtm_check(ut_empty(fd), "end %d: more datagrams than sent", end);
}

int main(int argc, char **argv)
{
	int sv[2], i, trunc;
	struct ut_addr from, from_before[2];

	zdtm_init(argc, argv);
	ut_pair(SOCK_DGRAM, sv);
	/* the sender's address as the kernel reports it, from a probe datagram each way */
	for (i = 0; i < 2; i++) {
		if (send(sv[i], "p", 1, 0) != 1 || recv_one(sv[1 - i], &trunc, &from_before[1 - i]) != 1)
			zdtm_fail("probe datagram: %m");
	}
	for (i = 0; i < N1; i++) {
		zdtm_fill(buf, to1[i], 100 + i);
		if (send(sv[0], buf, to1[i], 0) != to1[i])
			zdtm_fail("send 0->1 #%d: %m", i);
	}
	for (i = 0; i < N0; i++) {
		zdtm_fill(buf, to0[i], 200 + i);
		if (send(sv[1], buf, to0[i], 0) != to0[i])
			zdtm_fail("send 1->0 #%d: %m", i);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 2; i++) {
		zdtm_check(ut_type(sv[i]) == SOCK_DGRAM, "end %d: SO_TYPE %d", i, ut_type(sv[i]));
		zdtm_check(ut_peer_pid(sv[i]) == getpid(), "end %d: peer pid %d", i, ut_peer_pid(sv[i]));
	}
	check_queue(sv[1], 1, to1, N1, 100);
	check_queue(sv[0], 0, to0, N0, 200);
	for (i = 0; i < 2; i++) {
		zdtm_fill(buf, 1234, 300 + i);
		zdtm_check(send(sv[i], buf, 1234, MSG_NOSIGNAL) == 1234, "end %d: send after restore: %m", i);
		zdtm_check(ut_empty(sv[i]), "end %d: its own datagram came back", i);
		memset(buf, 0, 1234);
		zdtm_check(recv_one(sv[1 - i], &trunc, &from) == 1234 && zdtm_verify(buf, 1234, 300 + i) < 0,
			   "end %d: did not get end %d's new datagram", 1 - i, i);
		zdtm_check(ut_addr_eq(&from, &from_before[1 - i]), "end %d: sender address %s, was %s", 1 - i,
			   ut_addr_str(&from), ut_addr_str(&from_before[1 - i]));
	}
	zdtm_finish();
}
