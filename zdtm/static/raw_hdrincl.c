/*
 * raw_hdrincl: IPv4 raw sockets: one with IP_HDRINCL, one letting the kernel build the
 * header, and a raw ICMP socket with an ICMP_FILTER.
 *
 * State: H = socket(AF_INET, SOCK_RAW, 253) with IP_HDRINCL, bound to 127.0.0.1;
 * K = the same protocol without IP_HDRINCL, with IP_TTL 55, bound to 127.0.0.1;
 * I = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), unbound, with an ICMP_FILTER that passes
 * only echo replies. Protocol 253 is reserved for experiments: nothing else uses it.
 * Check after SIGTERM: SO_TYPE, SO_PROTOCOL (253, 253, 1), IP_HDRINCL (1, 0, 0), K's IP_TTL,
 * I's filter and getsockname (127.0.0.1 with the protocol as port for H and K, 0.0.0.0 for
 * I) are as recorded. Effects: H sends a header it wrote itself (TTL 42, id 0x3344,
 * protocol 253) with a 64-byte pattern, and both H and K receive exactly that packet; K
 * sends a 64-byte payload and both receive it inside a kernel-built header with TTL 55.
 * I sends an ICMP echo request to 127.0.0.1: it receives the kernel's echo reply (same id,
 * sequence and payload) but never its own request (filtered).
 */
#include "inet_util.h"
#include <linux/icmp.h>
#include <netinet/ip.h>

#define PROTO 253
#define PAY 64

/*
 * Waits up to ms for a packet of protocol proto whose payload (after the IP header)
 * starts with the pattern of seed; returns its IP header in *h, 1 if found.
 */
static int wait_packet(int fd, int proto, uint64_t seed, struct iphdr *h, int ms)
{
	uint8_t buf[2048];
	uint64_t end = zdtm_now_ns() + ms * 1000000ULL;
	while (it_readable_by(fd, end)) {
		struct iphdr ih;
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < (ssize_t)sizeof(ih))
			continue;
		memcpy(&ih, buf, sizeof(ih));
		if (ih.protocol != proto || n != ih.ihl * 4 + PAY || zdtm_verify(buf + ih.ihl * 4, PAY, seed) >= 0)
			continue;
		*h = ih;
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in lo = it_lo4(0);
	struct icmp_filter filt = { ~(1U << ICMP_ECHOREPLY) }, f2;
	union it_addr hname, kname, iname;
	int h, k, i, ttl = 55, who, replies, requests;
	uint8_t pkt[sizeof(struct iphdr) + PAY];
	struct iphdr ih, got;
	socklen_t len;

	zdtm_init(argc, argv);
	h = socket(AF_INET, SOCK_RAW, PROTO);
	k = socket(AF_INET, SOCK_RAW, PROTO);
	i = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (h < 0 || k < 0 || i < 0)
		zdtm_fail("raw socket: %m");
	if (ut_setint(h, IPPROTO_IP, IP_HDRINCL, 1) || bind(h, (void *)&lo, sizeof(lo)) ||
	    ut_setint(k, IPPROTO_IP, IP_TTL, ttl) || bind(k, (void *)&lo, sizeof(lo)) ||
	    setsockopt(i, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt)))
		zdtm_fail("setup: %m");
	hname = it_sockname(h);
	kname = it_sockname(k);
	iname = it_sockname(i);

	zdtm_ready();
	zdtm_wait_for_term();

	for (who = 0; who < 3; who++) {
		static const char *const names[3] = { "H", "K", "I" };
		int fd = who == 0 ? h : who == 1 ? k : i;
		UT_CHECK_INT(names[who], fd, SOL_SOCKET, SO_TYPE, SOCK_RAW);
		UT_CHECK_INT(names[who], fd, SOL_SOCKET, SO_PROTOCOL, who < 2 ? PROTO : IPPROTO_ICMP);
		UT_CHECK_INT(names[who], fd, IPPROTO_IP, IP_HDRINCL, who == 0);
	}
	UT_CHECK_INT("K", k, IPPROTO_IP, IP_TTL, ttl);
	len = sizeof(f2);
	zdtm_check(getsockopt(i, SOL_RAW, ICMP_FILTER, &f2, &len) == 0 && f2.data == filt.data,
		   "I: ICMP_FILTER %#x, expected %#x", f2.data, filt.data);
	it_check_names("H", h, &hname, NULL);
	it_check_names("K", k, &kname, NULL);
	it_check_names("I", i, &iname, NULL);
	zdtm_check(hname.v4.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && kname.v4.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		   iname.v4.sin_addr.s_addr == 0, "H and K are not bound to 127.0.0.1, or I is bound");

	memset(&ih, 0, sizeof(ih));
	ih.version = 4;
	ih.ihl = 5;
	ih.tot_len = htons(sizeof(pkt));
	ih.id = htons(0x3344);
	ih.ttl = 42;
	ih.protocol = PROTO;
	ih.saddr = ih.daddr = htonl(INADDR_LOOPBACK);
	memcpy(pkt, &ih, sizeof(ih));
	zdtm_fill(pkt + sizeof(ih), PAY, 5301);
	zdtm_check(sendto(h, pkt, sizeof(pkt), 0, (void *)&lo, sizeof(lo)) == sizeof(pkt), "H sendto: %m");
	for (who = 0; who < 2; who++) {
		int fd = who ? k : h;
		if (zdtm_check(wait_packet(fd, PROTO, 5301, &got, 3000), "%s did not receive H's packet", who ? "K" : "H"))
			zdtm_check(got.ttl == 42 && got.id == htons(0x3344) && got.saddr == htonl(INADDR_LOOPBACK),
				   "%s: H's packet arrived with TTL %d id %#x", who ? "K" : "H", got.ttl, ntohs(got.id));
	}
	zdtm_fill(pkt, PAY, 5302);
	zdtm_check(sendto(k, pkt, PAY, 0, (void *)&lo, sizeof(lo)) == PAY, "K sendto: %m");
	for (who = 0; who < 2; who++) {
		int fd = who ? k : h;
		if (zdtm_check(wait_packet(fd, PROTO, 5302, &got, 3000), "%s did not receive K's packet", who ? "K" : "H"))
			zdtm_check(got.ttl == ttl, "%s: K's packet arrived with TTL %d, expected %d", who ? "K" : "H", got.ttl,
				   ttl);
	}

	zdtm_check(it_echo(i, &lo, 1, ICMP_ECHO, ICMP_ECHOREPLY, 0x5303, 1, 5303, 32, 0, &replies, &requests), "I sendto: %m");
	zdtm_check(replies == 1, "I got %d echo replies, expected 1", replies);
	zdtm_check(requests == 0, "I got its own echo request: the filter is gone");
	zdtm_finish();
}
