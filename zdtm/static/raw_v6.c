/*
 * raw_v6: IPv6 raw sockets: one with IPV6_CHECKSUM, one without, and a raw ICMPv6 socket
 * with an ICMP6_FILTER.
 *
 * State: C = socket(AF_INET6, SOCK_RAW, 253) bound to ::1 with IPV6_CHECKSUM 2 (the kernel
 * fills in and verifies a checksum at payload offset 2) and IPV6_RECVHOPLIMIT;
 * N = the same protocol bound to ::1 without a checksum and with IPV6_UNICAST_HOPS 33;
 * E = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6), unbound, with an ICMP6_FILTER that passes
 * echo replies only.
 * Check after SIGTERM: SO_PROTOCOL, IPV6_CHECKSUM (2, -1), IPV6_RECVHOPLIMIT, the hop
 * limit, the filter and the addresses are as recorded. Effects: C sends a 64-byte payload
 * (pattern 5401, checksum field zero); N receives it with a checksum that is right when
 * worked out here over the IPv6 pseudo-header. N sends a payload (pattern 5402) with a wrong
 * checksum: N itself receives it, C drops it (it verifies); N sends one with the right
 * checksum: C receives it with hop limit 33. E sends an echo request to ::1 and gets the
 * echo reply (same id, sequence, payload) but never its own request.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
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

/* The upper-layer checksum over the pseudo-header for ::1 -> ::1; 0 if buf's field is right. */
static uint16_t v6sum(const uint8_t *buf, size_t len, int proto)
{
	uint32_t s = 0;
	size_t i;
	s += 1 + 1;	/* the last 16-bit words of ::1 (source and destination) */
	s += len >> 16;
	s += len & 0xffff;
	s += proto;
	for (i = 0; i + 1 < len; i += 2)
		s += (buf[i] << 8) | buf[i + 1];
	if (len & 1)
		s += buf[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* Waits for a 64-byte payload of seed (bytes 2-3 ignored); 1 if found; hop limit in *hops. */
static int wait_payload(int fd, uint64_t seed, int ms, uint8_t *out, int *hops)
{
	uint64_t end = zdtm_now_ns() + ms * 1000000ULL;
	uint8_t want[PAY];
	zdtm_fill(want, PAY, seed);
	while (zdtm_now_ns() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		char ctl[128];
		struct iovec iov = { out, PAY + 16 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
		struct cmsghdr *cm;
		ssize_t n;
		if (poll(&p, 1, 50) != 1)
			continue;
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n != PAY || memcmp(out, want, 2) || memcmp(out + 4, want + 4, PAY - 4))
			continue;
		if (hops) {
			*hops = -1;
			for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
				if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_HOPLIMIT)
					memcpy(hops, CMSG_DATA(cm), sizeof(int));
		}
		return 1;
	}
	return 0;
}

static void names(int c, int n, int e, struct sockaddr_in6 out[3])
{
	socklen_t len;
	int fds[3] = { c, n, e }, i;
	memset(out, 0, 3 * sizeof(*out));
	for (i = 0; i < 3; i++) {
		len = sizeof(out[i]);
		getsockname(fds[i], (void *)&out[i], &len);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 lo = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT }, before[3], now[3];
	struct icmp6_filter filt, f2;
	int c, n, e, two = 2, one = 1, hops = 33, got_hops;
	uint8_t pkt[PAY], buf[PAY + 16];
	socklen_t len;
	uint16_t sum;

	zdtm_init(argc, argv);
	c = socket(AF_INET6, SOCK_RAW, PROTO);
	n = socket(AF_INET6, SOCK_RAW, PROTO);
	e = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	if (c < 0 || n < 0 || e < 0)
		zdtm_fail("raw socket: %m");
	ICMP6_FILTER_SETBLOCKALL(&filt);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
	if (setsockopt(c, IPPROTO_IPV6, IPV6_CHECKSUM, &two, sizeof(two)) ||
	    setsockopt(c, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) || bind(c, (void *)&lo, sizeof(lo)) ||
	    setsockopt(n, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) || bind(n, (void *)&lo, sizeof(lo)) ||
	    setsockopt(e, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)))
		zdtm_fail("setup: %m");
	names(c, n, e, before);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(getint(c, SOL_SOCKET, SO_PROTOCOL) == PROTO && getint(n, SOL_SOCKET, SO_PROTOCOL) == PROTO &&
		   getint(e, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_ICMPV6, "SO_PROTOCOL changed");
	zdtm_check(getint(c, IPPROTO_IPV6, IPV6_CHECKSUM) == 2 && getint(n, IPPROTO_IPV6, IPV6_CHECKSUM) == -1,
		   "IPV6_CHECKSUM %d/%d, expected 2/-1", getint(c, IPPROTO_IPV6, IPV6_CHECKSUM),
		   getint(n, IPPROTO_IPV6, IPV6_CHECKSUM));
	zdtm_check(getint(c, IPPROTO_IPV6, IPV6_RECVHOPLIMIT) == 1, "C lost IPV6_RECVHOPLIMIT");
	zdtm_check(getint(n, IPPROTO_IPV6, IPV6_UNICAST_HOPS) == hops, "N: hop limit %d, expected %d",
		   getint(n, IPPROTO_IPV6, IPV6_UNICAST_HOPS), hops);
	len = sizeof(f2);
	zdtm_check(getsockopt(e, IPPROTO_ICMPV6, ICMP6_FILTER, &f2, &len) == 0 && !memcmp(&f2, &filt, sizeof(filt)),
		   "E: ICMP6_FILTER changed");
	names(c, n, e, now);
	zdtm_check(!memcmp(now, before, sizeof(now)), "getsockname changed");
	zdtm_check(!memcmp(&now[0].sin6_addr, &in6addr_loopback, 16) && !memcmp(&now[1].sin6_addr, &in6addr_loopback, 16),
		   "C or N is not bound to ::1");

	zdtm_fill(pkt, PAY, 5401);
	pkt[2] = pkt[3] = 0;
	zdtm_check(sendto(c, pkt, PAY, 0, (void *)&lo, sizeof(lo)) == PAY, "C sendto: %m");
	if (zdtm_check(wait_payload(n, 5401, 3000, buf, NULL), "N did not receive C's payload"))
		zdtm_check(v6sum(buf, PAY, PROTO) == 0, "C's payload arrived with checksum %02x%02x: not filled in by the kernel",
			   buf[2], buf[3]);

	zdtm_fill(pkt, PAY, 5402);
	pkt[2] = pkt[3] = 0;
	sum = v6sum(pkt, PAY, PROTO);
	pkt[2] = (sum >> 8) ^ 0x5a;	/* wrong */
	pkt[3] = sum & 0xff;
	zdtm_check(sendto(n, pkt, PAY, 0, (void *)&lo, sizeof(lo)) == PAY, "N sendto: %m");
	zdtm_check(wait_payload(n, 5402, 3000, buf, NULL), "N did not receive its own payload");
	zdtm_check(!wait_payload(c, 5402, 300, buf, NULL), "C accepted a payload with a wrong checksum");
	pkt[2] = sum >> 8;
	zdtm_check(sendto(n, pkt, PAY, 0, (void *)&lo, sizeof(lo)) == PAY, "N sendto: %m");
	if (zdtm_check(wait_payload(c, 5402, 3000, buf, &got_hops), "C did not receive N's valid payload"))
		zdtm_check(got_hops == hops, "C: hop limit %d, N sends with %d", got_hops, hops);

	{
		uint8_t icmp[8 + 32], rb[256];
		int replies = 0, requests = 0;
		uint64_t end = zdtm_now_ns() + 3000000000ULL;
		memset(icmp, 0, sizeof(icmp));
		icmp[0] = ICMP6_ECHO_REQUEST;
		icmp[4] = 0x54;
		icmp[5] = 0x03;
		icmp[7] = 2;
		zdtm_fill(icmp + 8, 32, 5403);
		zdtm_check(sendto(e, icmp, sizeof(icmp), 0, (void *)&lo, sizeof(lo)) == sizeof(icmp), "E sendto: %m");
		while (zdtm_now_ns() < end) {
			struct pollfd p = { e, POLLIN, 0 };
			ssize_t r;
			if (poll(&p, 1, 50) != 1)
				continue;
			r = recv(e, rb, sizeof(rb), MSG_DONTWAIT);
			if (r != sizeof(icmp) || rb[4] != 0x54 || rb[5] != 0x03 || rb[7] != 2 ||
			    zdtm_verify(rb + 8, 32, 5403) >= 0)
				continue;
			if (rb[0] == ICMP6_ECHO_REPLY) {
				if (!replies++)
					end = zdtm_now_ns() + 200000000ULL;
			} else {
				requests++;
			}
		}
		zdtm_check(replies == 1, "E got %d echo replies, expected 1", replies);
		zdtm_check(requests == 0, "E got its own echo request: the filter is gone");
	}
	zdtm_finish();
}
