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
#include "zdtm.h"
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct opt {
	const char *name;
	int opt, value;
};

static const struct opt opts[] = {
	{ "IPV6_V6ONLY", IPV6_V6ONLY, 1 },
	{ "IPV6_RECVPKTINFO", IPV6_RECVPKTINFO, 1 },
	{ "IPV6_RECVHOPLIMIT", IPV6_RECVHOPLIMIT, 1 },
	{ "IPV6_RECVTCLASS", IPV6_RECVTCLASS, 1 },
	{ "IPV6_UNICAST_HOPS", IPV6_UNICAST_HOPS, 9 },
	{ "IPV6_TCLASS", IPV6_TCLASS, 0x20 },
	{ "IPV6_MULTICAST_HOPS", IPV6_MULTICAST_HOPS, 4 },
	{ "IPV6_MULTICAST_LOOP", IPV6_MULTICAST_LOOP, 0 },
};
#define NOPTS (int)(sizeof(opts) / sizeof(opts[0]))

static int getint(int fd, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, IPPROTO_IPV6, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static struct sockaddr_in6 a6(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	return a;
}

struct got {
	ssize_t n;
	int have_pktinfo, hops, tclass;
	struct in6_pktinfo pi;
	char data[64];
};

static void recv_info(int fd, struct got *g)
{
	char ctl[256];
	struct iovec iov = { g->data, sizeof(g->data) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct pollfd p = { fd, POLLIN, 0 };
	struct cmsghdr *cm;

	memset(g, 0, sizeof(*g));
	g->hops = g->tclass = -1;
	g->n = -2;
	if (poll(&p, 1, 5000) != 1)
		return;
	g->n = recvmsg(fd, &mh, MSG_DONTWAIT);
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IPV6)
			continue;
		if (cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&g->pi, CMSG_DATA(cm), sizeof(g->pi));
			g->have_pktinfo = 1;
		} else if (cm->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&g->hops, CMSG_DATA(cm), sizeof(int));
		} else if (cm->cmsg_type == IPV6_TCLASS) {
			memcpy(&g->tclass, CMSG_DATA(cm), sizeof(int));
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 ua = a6(20351), va = a6(20352);
	int u, v, i, before[NOPTS], one = 1, vhops = 21, vtclass = 0x44;
	struct got g;

	zdtm_init(argc, argv);
	u = socket(AF_INET6, SOCK_DGRAM, 0);
	if (u < 0)
		zdtm_fail("socket: %m");
	for (i = 0; i < NOPTS; i++)
		if (setsockopt(u, IPPROTO_IPV6, opts[i].opt, &opts[i].value, sizeof(int)))
			zdtm_fail("%s: %m", opts[i].name);
	if (bind(u, (void *)&ua, sizeof(ua)))
		zdtm_fail("bind [::1]:20351: %m");
	for (i = 0; i < NOPTS; i++) {
		before[i] = getint(u, opts[i].opt);
		if (before[i] != opts[i].value)
			zdtm_fail("%s reads %d, set %d", opts[i].name, before[i], opts[i].value);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NOPTS; i++) {
		int now = getint(u, opts[i].opt);
		zdtm_check(now == before[i], "%s reads %d, was %d", opts[i].name, now, before[i]);
	}
	v = socket(AF_INET6, SOCK_DGRAM, 0);
	if (v < 0 || setsockopt(v, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &vhops, sizeof(int)) ||
	    setsockopt(v, IPPROTO_IPV6, IPV6_TCLASS, &vtclass, sizeof(int)) ||
	    setsockopt(v, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(int)) ||
	    setsockopt(v, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(int)) || bind(v, (void *)&va, sizeof(va)))
		zdtm_fail("peer socket: %m");

	zdtm_check(sendto(v, "v2u", 3, 0, (void *)&ua, sizeof(ua)) == 3, "sendto U: %m");
	recv_info(u, &g);
	zdtm_check(g.n == 3 && !memcmp(g.data, "v2u", 3), "U did not get the datagram (%zd)", g.n);
	zdtm_check(g.have_pktinfo && g.pi.ipi6_ifindex == if_nametoindex("lo") &&
		   !memcmp(&g.pi.ipi6_addr, &in6addr_loopback, 16), "U: IPV6_PKTINFO missing or wrong (if %u)",
		   g.pi.ipi6_ifindex);
	zdtm_check(g.hops == vhops, "U: received hop limit %d, sent with %d", g.hops, vhops);
	zdtm_check(g.tclass == vtclass, "U: received traffic class %#x, sent with %#x", g.tclass, vtclass);

	zdtm_check(sendto(u, "u2v", 3, 0, (void *)&va, sizeof(va)) == 3, "sendto V: %m");
	recv_info(v, &g);
	zdtm_check(g.n == 3 && !memcmp(g.data, "u2v", 3), "V did not get U's datagram (%zd)", g.n);
	zdtm_check(g.hops == 9, "U sends with hop limit %d, expected 9", g.hops);
	zdtm_check(g.tclass == 0x20, "U sends with traffic class %#x, expected 0x20", g.tclass);
	zdtm_finish();
}
