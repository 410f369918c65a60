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
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct opt {
	const char *name;
	int level, opt, value, keep;
};

static const struct opt opts[] = {
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

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static struct sockaddr_in a4(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

struct got {
	ssize_t n;
	int have_pktinfo, tos, ttl;
	struct in_pktinfo pi;
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
	g->tos = g->ttl = -1;
	g->n = -2;
	if (poll(&p, 1, 5000) != 1)
		return;
	g->n = recvmsg(fd, &mh, MSG_DONTWAIT);
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IP)
			continue;
		if (cm->cmsg_type == IP_PKTINFO) {
			memcpy(&g->pi, CMSG_DATA(cm), sizeof(g->pi));
			g->have_pktinfo = 1;
		} else if (cm->cmsg_type == IP_TOS) {
			g->tos = *(unsigned char *)CMSG_DATA(cm);
		} else if (cm->cmsg_type == IP_TTL) {
			memcpy(&g->ttl, CMSG_DATA(cm), sizeof(int));
		}
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in ua = a4("127.0.0.1", 20341), va = a4("127.0.0.1", 20342), bc = a4("127.255.255.255", 20343);
	int u, v, x, i, before[NOPTS], one = 1, vtos = 0x48, vttl = 23;
	struct got g;

	zdtm_init(argc, argv);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0)
		zdtm_fail("socket: %m");
	for (i = 0; i < NOPTS; i++)
		if (setsockopt(u, opts[i].level, opts[i].opt, &opts[i].value, sizeof(int)))
			zdtm_fail("%s: %m", opts[i].name);
	if (bind(u, (void *)&ua, sizeof(ua)))
		zdtm_fail("bind 127.0.0.1:20341: %m");
	for (i = 0; i < NOPTS; i++) {
		before[i] = getint(u, opts[i].level, opts[i].opt);
		if (opts[i].keep && before[i] != opts[i].value)
			zdtm_fail("%s reads %d, set %d", opts[i].name, before[i], opts[i].value);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NOPTS; i++) {
		int now = getint(u, opts[i].level, opts[i].opt);
		zdtm_check(now == before[i], "%s reads %d, was %d", opts[i].name, now, before[i]);
	}
	v = socket(AF_INET, SOCK_DGRAM, 0);
	if (v < 0 || setsockopt(v, IPPROTO_IP, IP_TOS, &vtos, sizeof(vtos)) ||
	    setsockopt(v, IPPROTO_IP, IP_TTL, &vttl, sizeof(vttl)) ||
	    setsockopt(v, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) ||
	    setsockopt(v, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one)) || bind(v, (void *)&va, sizeof(va)))
		zdtm_fail("peer socket: %m");

	zdtm_check(sendto(v, "v2u", 3, 0, (void *)&ua, sizeof(ua)) == 3, "sendto U: %m");
	recv_info(u, &g);
	zdtm_check(g.n == 3 && !memcmp(g.data, "v2u", 3), "U did not get the datagram (%zd)", g.n);
	zdtm_check(g.have_pktinfo && g.pi.ipi_ifindex == (int)if_nametoindex("lo") &&
		   g.pi.ipi_addr.s_addr == htonl(INADDR_LOOPBACK), "U: IP_PKTINFO missing or wrong (if %d)", g.pi.ipi_ifindex);
	zdtm_check(g.tos == vtos, "U: received TOS %#x, sent with %#x", g.tos, vtos);
	zdtm_check(g.ttl == vttl, "U: received TTL %d, sent with %d", g.ttl, vttl);

	zdtm_check(sendto(u, "u2v", 3, 0, (void *)&va, sizeof(va)) == 3, "sendto V: %m");
	recv_info(v, &g);
	zdtm_check(g.n == 3 && !memcmp(g.data, "u2v", 3), "V did not get U's datagram (%zd)", g.n);
	zdtm_check(g.tos == 0x10, "U sends with TOS %#x, expected 0x10", g.tos);
	zdtm_check(g.ttl == 17, "U sends with TTL %d, expected 17", g.ttl);

	x = socket(AF_INET, SOCK_DGRAM, 0);
	zdtm_check(sendto(x, "b", 1, 0, (void *)&bc, sizeof(bc)) < 0 && errno == EACCES,
		   "a socket without SO_BROADCAST may broadcast (%m): the control case is broken");
	zdtm_check(sendto(u, "b", 1, 0, (void *)&bc, sizeof(bc)) == 1, "U may not broadcast: %m");
	zdtm_finish();
}
