/*
 * udp_bound_v4: bound IPv4 UDP sockets.
 *
 * State: U, an AF_INET datagram socket bound to 127.0.0.1:20301 with SO_RCVBUF 65536;
 * E, one bound to 127.0.0.1 port 0 (the kernel picks a port, recorded). Nothing queued.
 * Check after SIGTERM: U is bound to 127.0.0.1:20301 and E to 127.0.0.1 with the recorded
 * port; SO_TYPE, SO_PROTOCOL, SO_RCVBUF (as read back before) hold; /proc/net/udp lists
 * both (by inode) on their addresses; nothing is queued on either; getpeername gives
 * ENOTCONN. A fresh sender sends datagrams of 1, 1400 and 60000 bytes to U and one to E:
 * each arrives whole, in order, from the sender's address; U and E answer with sendto and
 * the sender gets the answers from 127.0.0.1:20301 and from E's port.
 */
#include "inet_util.h"

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	static const int sizes[3] = { 1, 1400, 60000 };
	struct sockaddr_in ua = it_lo4(20301), ea = it_lo4(0);
	union it_addr ta, from;
	int u, e, t, i, rcvbuf;
	ssize_t n;

	zdtm_init(argc, argv);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || ut_setint(u, SOL_SOCKET, SO_RCVBUF, 65536) || bind(u, (void *)&ua, sizeof(ua)))
		zdtm_fail("bind: %m");
	e = it_udp_bound(&ea);
	ea = it_sockname(e).v4;
	if (ea.sin_port == 0)
		zdtm_fail("getsockname: %m");
	rcvbuf = ut_getint(u, SOL_SOCKET, SO_RCVBUF);
	zdtm_log("E got port %d", ntohs(ea.sin_port));

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_names("U", u, &ua, NULL);
	it_check_names("E", e, &ea, NULL);
	UT_CHECK_INT("U", u, SOL_SOCKET, SO_TYPE, SOCK_DGRAM);
	UT_CHECK_INT("U", u, SOL_SOCKET, SO_PROTOCOL, IPPROTO_UDP);
	UT_CHECK_INT("U", u, SOL_SOCKET, SO_RCVBUF, rcvbuf);
	zdtm_check(it_proc_net_state("/proc/net/udp", &ua, u) >= 0, "/proc/net/udp does not list U on its address");
	zdtm_check(it_proc_net_state("/proc/net/udp", &ea, e) >= 0, "/proc/net/udp does not list E on its address");
	zdtm_check(it_unconnected(u), "U: getpeername did not fail with ENOTCONN (%m)");
	zdtm_check(ut_empty(u), "U has a datagram queued");
	zdtm_check(ut_empty(e), "E has a datagram queued");

	ta.v4 = it_lo4(0);
	t = it_udp_bound(&ta);
	ta = it_sockname(t);
	if (ta.v4.sin_port == 0)
		zdtm_fail("sender: %m");
	for (i = 0; i < 3; i++) {
		zdtm_fill(buf, sizes[i], 3010 + i);
		zdtm_check(sendto(t, buf, sizes[i], 0, (void *)&ua, sizeof(ua)) == sizes[i], "sendto U: %m");
	}
	zdtm_check(sendto(t, "to-e", 4, 0, (void *)&ea, sizeof(ea)) == 4, "sendto E: %m");
	for (i = 0; i < 3; i++) {
		memset(buf, 0, sizes[i]);
		n = it_recvfrom_wait(u, buf, sizeof(buf), MSG_TRUNC, &from, sizeof(from), 5000);
		zdtm_check(n == sizes[i] && zdtm_verify(buf, n, 3010 + i) < 0 && it_addr_eq(&from, &ta),
			   "U: datagram %d: %zd bytes (expected %d) from %s", i, n, sizes[i], it_addr_str(&from));
	}
	n = it_recvfrom_wait(e, buf, sizeof(buf), MSG_TRUNC, &from, sizeof(from), 5000);
	zdtm_check(n == 4 && !memcmp(buf, "to-e", 4) && it_addr_eq(&from, &ta), "E: wrong datagram (%zd bytes)", n);
	zdtm_check(sendto(u, "from-u", 6, 0, &ta.sa, sizeof(ta.v4)) == 6 && sendto(e, "from-e", 6, 0, &ta.sa, sizeof(ta.v4)) == 6,
		   "answers: %m");
	n = it_recvfrom_wait(t, buf, sizeof(buf), MSG_TRUNC, &from, sizeof(from), 5000);
	zdtm_check(n == 6 && !memcmp(buf, "from-u", 6) && it_addr_eq(&from, &ua), "U's answer wrong (%zd bytes, from %s)", n,
		   it_addr_str(&from));
	n = it_recvfrom_wait(t, buf, sizeof(buf), MSG_TRUNC, &from, sizeof(from), 5000);
	zdtm_check(n == 6 && !memcmp(buf, "from-e", 6) && it_addr_eq(&from, &ea), "E's answer wrong (%zd bytes, from %s)", n,
		   it_addr_str(&from));
	zdtm_finish();
}
