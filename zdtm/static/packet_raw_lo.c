/*
 * packet_raw_lo: AF_PACKET sockets bound to lo.
 *
 * State: P1 = socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) bound to lo; P2 = socket(AF_PACKET,
 * SOCK_DGRAM, ETH_P_IP) bound to lo with PACKET_AUXDATA; P3 = socket(AF_PACKET, SOCK_RAW, 0),
 * never bound (it receives nothing). getsockname of each recorded.
 * Check after SIGTERM: getsockname as recorded, and sll_protocol ETH_P_ALL / ETH_P_IP / 0,
 * sll_ifindex lo / lo / 0, P1's sll_hatype ARPHRD_LOOPBACK; SO_TYPE and PACKET_AUXDATA as
 * set. Both take only UDP to port 20382 (a socket filter: other lo traffic would be queued at
 * dump, and dump refuses queued packets). Whatever still queued up is drained, then a UDP datagram with a
 * 32-byte pattern goes from 127.0.0.1:20381 to 127.0.0.1:20382: P1 sees it as a frame with
 * an Ethernet header (type IPv4) both outgoing and incoming; P2 sees the bare IPv4 packet
 * with a PACKET_AUXDATA message whose length is the packet's; P3 sees nothing.
 */
#include "inet_util.h"
#include <linux/filter.h>
#include <net/if.h>
#include <net/if_arp.h>

#define MARK_LEN 32
#define SEED 5601

static struct sockaddr_ll name_of(int fd)
{
	return it_sockname(fd).ll;
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
	struct sockaddr_in src = it_lo4(20381), dst = it_lo4(20382);
	int p1, p2, p3, s, lo = if_nametoindex("lo"), outgoing = 0, incoming = 0, seen2 = 0, auxlen = -1;
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
	    ut_setint(p2, SOL_PACKET, PACKET_AUXDATA, 1))
		zdtm_fail("bind to lo: %m");
	/*
	 * Only the test's own datagram (UDP to port 20382) is taken: other lo traffic meanwhile
	 * (other tests) would sit in the queues at dump, which amber refuses, rightly, to drop.
	 * P1 sees frames (Ethernet header first), P2 bare IPv4 packets.
	 */
	{
		struct sock_filter raw[] = {
			BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5),
			BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 3),
			BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 36), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 20382, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, 0xffff), BPF_STMT(BPF_RET | BPF_K, 0),
		};
		struct sock_filter ip[] = {
			BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 3),
			BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 22), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 20382, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, 0xffff), BPF_STMT(BPF_RET | BPF_K, 0),
		};
		struct sock_fprog f1 = { sizeof(raw) / sizeof(raw[0]), raw }, f2 = { sizeof(ip) / sizeof(ip[0]), ip };
		if (setsockopt(p1, SOL_SOCKET, SO_ATTACH_FILTER, &f1, sizeof(f1)) || setsockopt(p2, SOL_SOCKET, SO_ATTACH_FILTER, &f2, sizeof(f2)))
			zdtm_fail("SO_ATTACH_FILTER: %m");
		drain(p1);
		drain(p2);
	}
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
	UT_CHECK_INT("P1", p1, SOL_SOCKET, SO_TYPE, SOCK_RAW);
	UT_CHECK_INT("P2", p2, SOL_SOCKET, SO_TYPE, SOCK_DGRAM);
	UT_CHECK_INT("P3", p3, SOL_SOCKET, SO_TYPE, SOCK_RAW);
	UT_CHECK_INT("P1", p1, SOL_PACKET, PACKET_AUXDATA, 0);
	UT_CHECK_INT("P2", p2, SOL_PACKET, PACKET_AUXDATA, 1);

	s = it_udp_bound(&src);
	it_udp_bound(&dst);	/* the receiver, kept open so that the datagram is delivered */
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
			struct msghdr mh;
			const void *aux;
			n = it_recvmsg_wait(p2, buf, sizeof(buf), ctl, sizeof(ctl), &mh, 0);
			if (is_ours(buf, n, 0)) {
				seen2++;
				if ((aux = it_cmsg(&mh, SOL_PACKET, PACKET_AUXDATA)))
					auxlen = ((const struct tpacket_auxdata *)aux)->tp_len;
				if (auxlen != n)
					auxlen = -2 - auxlen;
			}
		}
	}
	zdtm_check(outgoing > 0 && incoming > 0, "P1 saw the datagram %d times outgoing, %d incoming", outgoing, incoming);
	zdtm_check(seen2 > 0, "P2 did not see the datagram");
	zdtm_check(auxlen >= 0, "P2: no PACKET_AUXDATA message with the packet's length (%d)", auxlen);
	zdtm_check(!it_readable(p3, 100), "P3 (protocol 0, unbound) received something");
	zdtm_finish();
}
