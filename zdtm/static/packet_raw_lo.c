/*
 * packet_raw_lo: AF_PACKET sockets bound to lo.
 *
 * State: P1 = socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) bound to lo; P2 = socket(AF_PACKET,
 * SOCK_DGRAM, ETH_P_IP) bound to lo with PACKET_AUXDATA; P3 = socket(AF_PACKET, SOCK_RAW, 0),
 * never bound (it receives nothing). getsockname of each recorded.
 * Check after SIGTERM: getsockname as recorded, and sll_protocol ETH_P_ALL / ETH_P_IP / 0,
 * sll_ifindex lo / lo / 0, P1's sll_hatype ARPHRD_LOOPBACK; SO_TYPE and PACKET_AUXDATA as
 * set. Whatever lo traffic queued up while waiting is drained, then a UDP datagram with a
 * 32-byte pattern goes from 127.0.0.1:20381 to 127.0.0.1:20382: P1 sees it as a frame with
 * an Ethernet header (type IPv4) both outgoing and incoming; P2 sees the bare IPv4 packet
 * with a PACKET_AUXDATA message whose length is the packet's; P3 sees nothing.
 */
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MARK_LEN 32
#define SEED 5601

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static struct sockaddr_ll name_of(int fd)
{
	struct sockaddr_ll a;
	socklen_t len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getsockname(fd, (void *)&a, &len))
		a.sll_family = 0;
	return a;
}

static void drain(int fd)
{
	char buf[256];
	int i;
	for (i = 0; i < 100000 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) >= 0; i++)
		;
}

/* Does buf[0..n) hold the UDP datagram with our pattern, its IPv4 header at off? */
static int is_ours(const uint8_t *buf, ssize_t n, int off)
{
	int ihl;
	if (n < off + 20 + 8 + MARK_LEN || (buf[off] >> 4) != 4 || buf[off + 9] != IPPROTO_UDP)
		return 0;
	ihl = (buf[off] & 15) * 4;
	if (n != off + ihl + 8 + MARK_LEN || ((buf[off + ihl + 2] << 8) | buf[off + ihl + 3]) != 20382)
		return 0;
	return zdtm_verify(buf + off + ihl + 8, MARK_LEN, SEED) < 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_ll l1 = { .sll_family = AF_PACKET }, l2, n1, n2, n3, g;
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(20381) }, dst;
	int p1, p2, p3, s, r, lo = if_nametoindex("lo"), one = 1, outgoing = 0, incoming = 0, seen2 = 0, auxlen = -1;
	uint8_t buf[2048], mark[MARK_LEN];
	uint64_t end;

	zdtm_init(argc, argv);
	p1 = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	p2 = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	p3 = socket(AF_PACKET, SOCK_RAW, 0);
	if (p1 < 0 || p2 < 0 || p3 < 0)
		zdtm_fail("packet socket: %m");
	l1.sll_ifindex = lo;
	l1.sll_protocol = htons(ETH_P_ALL);
	l2 = l1;
	l2.sll_protocol = htons(ETH_P_IP);
	if (bind(p1, (void *)&l1, sizeof(l1)) || bind(p2, (void *)&l2, sizeof(l2)) ||
	    setsockopt(p2, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)))
		zdtm_fail("bind to lo: %m");
	n1 = name_of(p1);
	n2 = name_of(p2);
	n3 = name_of(p3);

	zdtm_ready();
	zdtm_wait_for_term();

	g = name_of(p1);
	zdtm_check(!memcmp(&g, &n1, sizeof(g)) && g.sll_protocol == htons(ETH_P_ALL) && g.sll_ifindex == lo &&
		   g.sll_hatype == ARPHRD_LOOPBACK, "P1: protocol %#x ifindex %d hatype %d", ntohs(g.sll_protocol),
		   g.sll_ifindex, g.sll_hatype);
	g = name_of(p2);
	zdtm_check(!memcmp(&g, &n2, sizeof(g)) && g.sll_protocol == htons(ETH_P_IP) && g.sll_ifindex == lo,
		   "P2: protocol %#x ifindex %d", ntohs(g.sll_protocol), g.sll_ifindex);
	g = name_of(p3);
	zdtm_check(!memcmp(&g, &n3, sizeof(g)) && g.sll_protocol == 0 && g.sll_ifindex == 0, "P3: protocol %#x ifindex %d",
		   ntohs(g.sll_protocol), g.sll_ifindex);
	zdtm_check(getint(p1, SOL_SOCKET, SO_TYPE) == SOCK_RAW && getint(p2, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM &&
		   getint(p3, SOL_SOCKET, SO_TYPE) == SOCK_RAW, "SO_TYPE changed");
	zdtm_check(getint(p2, SOL_PACKET, PACKET_AUXDATA) == 1 && getint(p1, SOL_PACKET, PACKET_AUXDATA) == 0,
		   "PACKET_AUXDATA %d/%d, expected 0/1", getint(p1, SOL_PACKET, PACKET_AUXDATA),
		   getint(p2, SOL_PACKET, PACKET_AUXDATA));

	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst = src;
	dst.sin_port = htons(20382);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	r = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || r < 0 || bind(s, (void *)&src, sizeof(src)) || bind(r, (void *)&dst, sizeof(dst)))
		zdtm_fail("UDP sockets: %m");
	drain(p1);
	drain(p2);
	drain(p3);
	zdtm_fill(mark, MARK_LEN, SEED);
	zdtm_check(sendto(s, mark, MARK_LEN, 0, (void *)&dst, sizeof(dst)) == MARK_LEN, "sendto: %m");
	end = zdtm_now_ns() + 3000000000ULL;
	while (zdtm_now_ns() < end && !((outgoing && incoming) && seen2)) {
		struct pollfd p[2] = { { p1, POLLIN, 0 }, { p2, POLLIN, 0 } };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			n = recvfrom(p1, buf, sizeof(buf), MSG_DONTWAIT, (void *)&from, &fl);
			if (n > 14 && buf[12] == 0x08 && buf[13] == 0x00 && is_ours(buf, n, 14)) {
				if (from.sll_pkttype == PACKET_OUTGOING)
					outgoing++;
				else if (from.sll_pkttype == PACKET_HOST)
					incoming++;
			}
		}
		if (p[1].revents & POLLIN) {
			char ctl[256];
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
			struct cmsghdr *cm;
			n = recvmsg(p2, &mh, MSG_DONTWAIT);
			if (is_ours(buf, n, 0)) {
				seen2++;
				for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
					if (cm->cmsg_level == SOL_PACKET && cm->cmsg_type == PACKET_AUXDATA)
						auxlen = ((struct tpacket_auxdata *)CMSG_DATA(cm))->tp_len;
				if (auxlen != n)
					auxlen = -2 - auxlen;
			}
		}
	}
	zdtm_check(outgoing > 0 && incoming > 0, "P1 saw the datagram %d times outgoing, %d incoming", outgoing, incoming);
	zdtm_check(seen2 > 0, "P2 did not see the datagram");
	zdtm_check(auxlen >= 0, "P2: no PACKET_AUXDATA message with the packet's length (%d)", auxlen);
	{
		struct pollfd p = { p3, POLLIN, 0 };
		zdtm_check(poll(&p, 1, 100) == 0, "P3 (protocol 0, unbound) received something");
	}
	zdtm_finish();
}
