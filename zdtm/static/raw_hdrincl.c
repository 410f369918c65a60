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
#include "zdtm.h"
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROTO 253
#define PAY 64

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (len & 1)
		s += b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s & 0xffff);
}

/*
 * Waits up to ms for a packet of protocol proto whose payload (after the IP header)
 * starts with the pattern of seed; returns its IP header in *h, 1 if found.
 */
static int wait_packet(int fd, int proto, uint64_t seed, struct iphdr *h, int ms)
{
	uint8_t buf[2048];
	uint64_t end = zdtm_now_ns() + ms * 1000000ULL;
	while (zdtm_now_ns() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		struct iphdr ih;
		ssize_t n;
		if (poll(&p, 1, 50) != 1)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
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

struct names {
	struct sockaddr_in h, k, i;
};

static void get_names(int h, int k, int i, struct names *n)
{
	socklen_t len;
	memset(n, 0, sizeof(*n));
	len = sizeof(n->h);
	getsockname(h, (void *)&n->h, &len);
	len = sizeof(n->k);
	getsockname(k, (void *)&n->k, &len);
	len = sizeof(n->i);
	getsockname(i, (void *)&n->i, &len);
}

int main(int argc, char **argv)
{
	struct sockaddr_in lo = { .sin_family = AF_INET };
	struct icmp_filter filt = { ~(1U << ICMP_ECHOREPLY) }, f2;
	struct names before, now;
	int h, k, i, one = 1, ttl = 55, who;
	uint8_t pkt[sizeof(struct iphdr) + PAY];
	struct iphdr ih, got;
	socklen_t len;

	zdtm_init(argc, argv);
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h = socket(AF_INET, SOCK_RAW, PROTO);
	k = socket(AF_INET, SOCK_RAW, PROTO);
	i = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (h < 0 || k < 0 || i < 0)
		zdtm_fail("raw socket: %m");
	if (setsockopt(h, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) || bind(h, (void *)&lo, sizeof(lo)) ||
	    setsockopt(k, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) || bind(k, (void *)&lo, sizeof(lo)) ||
	    setsockopt(i, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt)))
		zdtm_fail("setup: %m");
	get_names(h, k, i, &before);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(getint(h, SOL_SOCKET, SO_TYPE) == SOCK_RAW && getint(k, SOL_SOCKET, SO_TYPE) == SOCK_RAW &&
		   getint(i, SOL_SOCKET, SO_TYPE) == SOCK_RAW, "SO_TYPE is not SOCK_RAW");
	zdtm_check(getint(h, SOL_SOCKET, SO_PROTOCOL) == PROTO && getint(k, SOL_SOCKET, SO_PROTOCOL) == PROTO &&
		   getint(i, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_ICMP, "SO_PROTOCOL %d/%d/%d, expected 253/253/1",
		   getint(h, SOL_SOCKET, SO_PROTOCOL), getint(k, SOL_SOCKET, SO_PROTOCOL), getint(i, SOL_SOCKET, SO_PROTOCOL));
	zdtm_check(getint(h, IPPROTO_IP, IP_HDRINCL) == 1 && getint(k, IPPROTO_IP, IP_HDRINCL) == 0 &&
		   getint(i, IPPROTO_IP, IP_HDRINCL) == 0, "IP_HDRINCL %d/%d/%d, expected 1/0/0",
		   getint(h, IPPROTO_IP, IP_HDRINCL), getint(k, IPPROTO_IP, IP_HDRINCL), getint(i, IPPROTO_IP, IP_HDRINCL));
	zdtm_check(getint(k, IPPROTO_IP, IP_TTL) == ttl, "K: IP_TTL %d, expected %d", getint(k, IPPROTO_IP, IP_TTL), ttl);
	len = sizeof(f2);
	zdtm_check(getsockopt(i, SOL_RAW, ICMP_FILTER, &f2, &len) == 0 && f2.data == filt.data,
		   "I: ICMP_FILTER %#x, expected %#x", f2.data, filt.data);
	get_names(h, k, i, &now);
	zdtm_check(!memcmp(&now, &before, sizeof(now)), "getsockname changed");
	zdtm_check(now.h.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && now.k.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
		   now.i.sin_addr.s_addr == 0, "H and K are not bound to 127.0.0.1, or I is bound");

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

	{
		uint8_t icmp[8 + 32], buf[2048];
		int seen_reply = 0, seen_request = 0;
		uint64_t end;
		memset(icmp, 0, sizeof(icmp));
		icmp[0] = ICMP_ECHO;
		icmp[4] = 0x53;
		icmp[5] = 0x03;	/* id 0x5303 */
		icmp[7] = 1;	/* sequence 1 */
		zdtm_fill(icmp + 8, 32, 5303);
		memcpy(icmp + 2, &(uint16_t){ csum(icmp, sizeof(icmp)) }, 2);
		zdtm_check(sendto(i, icmp, sizeof(icmp), 0, (void *)&lo, sizeof(lo)) == sizeof(icmp), "I sendto: %m");
		end = zdtm_now_ns() + 3000000000ULL;
		while (zdtm_now_ns() < end) {
			struct pollfd p = { i, POLLIN, 0 };
			ssize_t n;
			int off;
			if (poll(&p, 1, 50) != 1)
				continue;
			n = recv(i, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 20)
				continue;
			off = (buf[0] & 15) * 4;
			if (n != off + (ssize_t)sizeof(icmp) || buf[off + 4] != 0x53 || buf[off + 5] != 0x03 ||
			    buf[off + 7] != 1 || zdtm_verify(buf + off + 8, 32, 5303) >= 0)
				continue;
			if (buf[off] == ICMP_ECHOREPLY) {
				if (!seen_reply++)
					end = zdtm_now_ns() + 200000000ULL;	/* a little longer: a request would be there by now */
			} else
				seen_request++;
		}
		zdtm_check(seen_reply == 1, "I got %d echo replies, expected 1", seen_reply);
		zdtm_check(seen_request == 0, "I got its own echo request: the filter is gone");
	}
	zdtm_finish();
}
