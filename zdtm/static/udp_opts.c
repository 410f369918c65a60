/*
 * udp_opts: an IPv4 UDP socket with options that change what it sends and receives.
 *
 * State: U bound to 127.0.0.1:20341 with SO_REUSEADDR, SO_BROADCAST, IP_PKTINFO,
 * IP_RECVTOS, IP_RECVTTL, IP_TOS 0x10, IP_TTL 17, IP_MULTICAST_TTL 3, IP_MULTICAST_LOOP 0,
 * SO_PRIORITY 3, SO_RCVBUF 100000 and SO_SNDBUF 70000; every value read back and recorded.
 * Check after SIGTERM: every option reads back as recorded (and as set where the kernel
 * keeps the value). Effects, with a fresh socket V on 127.0.0.1:20342 (IP_TOS 0x48,
 * IP_TTL 23, IP_RECVTOS, IP_RECVTTL): V's datagram reaches U with an IP_PKTINFO message
 * (interface lo, destination 127.0.0.1), IP_TOS 0x48 and IP_TTL 23; U's answer reaches V
 * with TOS 0x10 and TTL 17; U may send to the loopback broadcast address
 * 127.255.255.255:20343 (a socket without SO_BROADCAST gets EACCES).
 */
#include "inet_util.h"
#include <net/if.h>

static const struct it_opt opts[] = {
	{ "SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, 1, 1 },
	{ "SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, 1, 1 },
	{ "IP_PKTINFO", IPPROTO_IP, IP_PKTINFO, 1, 1 },
	{ "IP_RECVTOS", IPPROTO_IP, IP_RECVTOS, 1, 1 },
	{ "IP_RECVTTL", IPPROTO_IP, IP_RECVTTL, 1, 1 },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, 0x10, 1 },
	{ "IP_TTL", IPPROTO_IP, IP_TTL, 17, 1 },
	{ "IP_MULTICAST_TTL", IPPROTO_IP, IP_MULTICAST_TTL, 3, 1 },
	{ "IP_MULTICAST_LOOP", IPPROTO_IP, IP_MULTICAST_LOOP, 0, 1 },
	{ "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY, 3, 1 },
	{ "SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, 100000, 0 },
	{ "SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, 70000, 0 },
};
#define NOPTS (int)(sizeof(opts) / sizeof(opts[0]))

int main(int argc, char **argv)
{
	struct sockaddr_in ua = it_lo4(20341), va = it_lo4(20342), bc = it_addr4("127.255.255.255", 20343);
	int u, v, x, before[NOPTS], vtos = 0x48, vttl = 23;
	struct it_dgram g;

	zdtm_init(argc, argv);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0)
		zdtm_fail("socket: %m");
	it_set_opts(u, opts, NOPTS);
	if (bind(u, (void *)&ua, sizeof(ua)))
		zdtm_fail("bind 127.0.0.1:20341: %m");
	it_get_opts(u, opts, NOPTS, before, "after setup");

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_opts("U", u, opts, NOPTS, before, 0);
	v = socket(AF_INET, SOCK_DGRAM, 0);
	if (v < 0 || ut_setint(v, IPPROTO_IP, IP_TOS, vtos) || ut_setint(v, IPPROTO_IP, IP_TTL, vttl) ||
	    ut_setint(v, IPPROTO_IP, IP_RECVTOS, 1) || ut_setint(v, IPPROTO_IP, IP_RECVTTL, 1) ||
	    bind(v, (void *)&va, sizeof(va)))
		zdtm_fail("peer socket: %m");

	zdtm_check(sendto(v, "v2u", 3, 0, (void *)&ua, sizeof(ua)) == 3, "sendto U: %m");
	it_recv_dgram(u, &g, 5000);
	zdtm_check(g.n == 3 && !memcmp(g.data, "v2u", 3), "U did not get the datagram (%zd)", g.n);
	zdtm_check(g.have_pktinfo && g.pi.v4.ipi_ifindex == (int)if_nametoindex("lo") &&
		   g.pi.v4.ipi_addr.s_addr == htonl(INADDR_LOOPBACK), "U: IP_PKTINFO missing or wrong (if %d)", g.pi.v4.ipi_ifindex);
	zdtm_check(g.tos == vtos, "U: received TOS %#x, sent with %#x", g.tos, vtos);
	zdtm_check(g.ttl == vttl, "U: received TTL %d, sent with %d", g.ttl, vttl);

	zdtm_check(sendto(u, "u2v", 3, 0, (void *)&va, sizeof(va)) == 3, "sendto V: %m");
	it_recv_dgram(v, &g, 5000);
	zdtm_check(g.n == 3 && !memcmp(g.data, "u2v", 3), "V did not get U's datagram (%zd)", g.n);
	zdtm_check(g.tos == 0x10, "U sends with TOS %#x, expected 0x10", g.tos);
	zdtm_check(g.ttl == 17, "U sends with TTL %d, expected 17", g.ttl);

	x = socket(AF_INET, SOCK_DGRAM, 0);
	zdtm_check(sendto(x, "b", 1, 0, (void *)&bc, sizeof(bc)) < 0 && errno == EACCES,
		   "a socket without SO_BROADCAST may broadcast (%m): the control case is broken");
	zdtm_check(sendto(u, "b", 1, 0, (void *)&bc, sizeof(bc)) == 1, "U may not broadcast: %m");
	zdtm_finish();
}
