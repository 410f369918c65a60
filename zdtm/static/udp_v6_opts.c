/*
 * udp_v6_opts: an IPv6 UDP socket with IPv6-level options.
 *
 * State: U bound to [::1]:20351 with IPV6_V6ONLY, IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
 * IPV6_RECVTCLASS, IPV6_UNICAST_HOPS 9, IPV6_TCLASS 0x20, IPV6_MULTICAST_HOPS 4 and
 * IPV6_MULTICAST_LOOP 0; every value read back and recorded.
 * Check after SIGTERM: every option reads back as recorded (and as set). Effects, with a
 * fresh socket V on [::1]:20352 (hop limit 21, traffic class 0x44, receiving both):
 * V's datagram reaches U with IPV6_PKTINFO (::1 on lo), IPV6_HOPLIMIT 21 and
 * IPV6_TCLASS 0x44; U's answer reaches V with hop limit 9 and traffic class 0x20.
 */
#include "inet_util.h"
#include <net/if.h>

static const struct it_opt opts[] = {
	{ "IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY, 1, 1 },
	{ "IPV6_RECVPKTINFO", IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, 1 },
	{ "IPV6_RECVHOPLIMIT", IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, 1 },
	{ "IPV6_RECVTCLASS", IPPROTO_IPV6, IPV6_RECVTCLASS, 1, 1 },
	{ "IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9, 1 },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, 0x20, 1 },
	{ "IPV6_MULTICAST_HOPS", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 4, 1 },
	{ "IPV6_MULTICAST_LOOP", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, 1 },
};
#define NOPTS (int)(sizeof(opts) / sizeof(opts[0]))

int main(int argc, char **argv)
{
	struct sockaddr_in6 ua = it_lo6(20351), va = it_lo6(20352);
	int u, v, before[NOPTS], vhops = 21, vtclass = 0x44;
	struct it_dgram g;

	zdtm_init(argc, argv);
	u = socket(AF_INET6, SOCK_DGRAM, 0);
	if (u < 0)
		zdtm_fail("socket: %m");
	it_set_opts(u, opts, NOPTS);
	if (bind(u, (void *)&ua, sizeof(ua)))
		zdtm_fail("bind [::1]:20351: %m");
	it_get_opts(u, opts, NOPTS, before, "after setup");

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_opts("U", u, opts, NOPTS, before, 0);
	v = socket(AF_INET6, SOCK_DGRAM, 0);
	if (v < 0 || ut_setint(v, IPPROTO_IPV6, IPV6_UNICAST_HOPS, vhops) || ut_setint(v, IPPROTO_IPV6, IPV6_TCLASS, vtclass) ||
	    ut_setint(v, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) || ut_setint(v, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) ||
	    bind(v, (void *)&va, sizeof(va)))
		zdtm_fail("peer socket: %m");

	zdtm_check(sendto(v, "v2u", 3, 0, (void *)&ua, sizeof(ua)) == 3, "sendto U: %m");
	it_recv_dgram(u, &g, 5000);
	zdtm_check(g.n == 3 && !memcmp(g.data, "v2u", 3), "U did not get the datagram (%zd)", g.n);
	zdtm_check(g.have_pktinfo && g.pi.v6.ipi6_ifindex == if_nametoindex("lo") &&
		   !memcmp(&g.pi.v6.ipi6_addr, &in6addr_loopback, 16), "U: IPV6_PKTINFO missing or wrong (if %u)",
		   g.pi.v6.ipi6_ifindex);
	zdtm_check(g.ttl == vhops, "U: received hop limit %d, sent with %d", g.ttl, vhops);
	zdtm_check(g.tos == vtclass, "U: received traffic class %#x, sent with %#x", g.tos, vtclass);

	zdtm_check(sendto(u, "u2v", 3, 0, (void *)&va, sizeof(va)) == 3, "sendto V: %m");
	it_recv_dgram(v, &g, 5000);
	zdtm_check(g.n == 3 && !memcmp(g.data, "u2v", 3), "V did not get U's datagram (%zd)", g.n);
	zdtm_check(g.ttl == 9, "U sends with hop limit %d, expected 9", g.ttl);
	zdtm_check(g.tos == 0x20, "U sends with traffic class %#x, expected 0x20", g.tos);
	zdtm_finish();
}
