/*
 * unix_dgram_peer_closed: an AF_UNIX dgram socketpair whose one end sent datagrams and was
 * closed: the survivor still holds them and is still "connected" to the dead peer.
 *
 * State: socketpair(AF_UNIX, SOCK_DGRAM); end A sent datagrams of 700, 0 and 5000 bytes
 * (seeds 61-63) and was closed. The survivor's poll() revents and getpeername() recorded
 * (the kernel keeps the dead peer until the survivor next sends).
 * Check after SIGTERM: revents and getpeername as before, SO_ERROR 0, SIOCINQ 700; the three
 * datagrams in order with their sizes and contents, then EAGAIN (no EOF for datagrams). Only
 * then (a send to a dead peer drops the survivor's queue) the survivor sends: the first send
 * gives ECONNREFUSED (the kernel notices the peer is gone and disconnects), the next ENOTCONN,
 * and getpeername now gives ENOTCONN.
 */
#include "unix_util.h"

static const int dg[] = { 700, 0, 5000 };
#define NDG 3

int main(int argc, char **argv)
{
	int sv[2], ev, i;
	struct ut_addr pn, a;
	uint8_t buf[8192];
	ssize_t n;

	zdtm_init(argc, argv);
	ut_pair(SOCK_DGRAM, sv);
	for (i = 0; i < NDG; i++) {
		zdtm_fill(buf, dg[i], 61 + i);
		if (send(sv[0], buf, dg[i], 0) != dg[i])
			zdtm_fail("send: %m");
	}
	close(sv[0]);
	ev = ut_revents(sv[1]);
	pn = ut_peername(sv[1]);
	if (pn.len == 0)
		zdtm_fail("getpeername after the peer closed: %m (kernel behaviour changed?)");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_revents(sv[1]) == ev, "revents %#x, were %#x", ut_revents(sv[1]), ev);
	ut_check_name("survivor", sv[1], 1, &pn, NULL);
	zdtm_check(ut_type(sv[1]) == SOCK_DGRAM, "SO_TYPE %d", ut_type(sv[1]));
	zdtm_check(ut_getint(sv[1], SOL_SOCKET, SO_ERROR) == 0, "SO_ERROR set");
	zdtm_check(ut_inq(sv[1]) == dg[0], "SIOCINQ %d, expected %d", ut_inq(sv[1]), dg[0]);
	for (i = 0; i < NDG; i++) {
		memset(buf, 0, sizeof(buf));
		n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == dg[i] && zdtm_verify(buf, n, 61 + i) < 0, "datagram %d: %zd bytes (%m), expected %d", i,
			   n, dg[i]);
	}
	errno = 0;
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	zdtm_check(n == -1 && errno == EAGAIN, "after the datagrams recv gave %zd (%m), expected EAGAIN", n);
	errno = 0;
	n = send(sv[1], "x", 1, MSG_NOSIGNAL);
	zdtm_check(n == -1 && errno == ECONNREFUSED, "first send to the dead peer gave %zd (%m), expected ECONNREFUSED",
		   n);
	errno = 0;
	n = send(sv[1], "x", 1, MSG_NOSIGNAL);
	zdtm_check(n == -1 && errno == ENOTCONN, "second send gave %zd (%m), expected ENOTCONN", n);
	a = ut_peername(sv[1]);
	zdtm_check(a.len == 0 && errno == ENOTCONN, "getpeername after the disconnect: %s (%m)", ut_addr_str(&a));
	zdtm_finish();
}
