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
#include "inet_util.h"
#include <netinet/icmp6.h>

#define PROTO 253
#define PAY 64

/* The upper-layer checksum over the pseudo-header for ::1 -> ::1; 0 if buf's field is right. */
static uint16_t v6sum(const uint8_t *buf, size_t len, int proto)
{
	/* the last 16-bit words of ::1 (source and destination), the length and the protocol */
	return it_csum(it_sum16(1 + 1 + (len >> 16) + (len & 0xffff) + proto, buf, len));
}

/* Waits for a 64-byte payload of seed (bytes 2-3 ignored); 1 if found; hop limit in *hops. */
static int wait_payload(int fd, uint64_t seed, int ms, uint8_t *out, int *hops)
{
	uint64_t end = zdtm_now_ns() + ms * 1000000ULL;
	uint8_t want[PAY];
	zdtm_fill(want, PAY, seed);
	while (it_readable_by(fd, end)) {
		char ctl[128];
		struct msghdr mh;
		const void *d;
		ssize_t n = it_recvmsg_wait(fd, out, PAY + 16, ctl, sizeof(ctl), &mh, 0);
		if (n != PAY || memcmp(out, want, 2) || memcmp(out + 4, want + 4, PAY - 4))
			continue;
		if (hops) {
			*hops = -1;
			if ((d = it_cmsg(&mh, IPPROTO_IPV6, IPV6_HOPLIMIT)))
				memcpy(hops, d, sizeof(int));
		}
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 lo = it_lo6(0);
	union it_addr cname, nname, ename;
	struct icmp6_filter filt, f2;
	int c, n, e, hops = 33, got_hops, replies, requests;
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
	if (ut_setint(c, IPPROTO_IPV6, IPV6_CHECKSUM, 2) || ut_setint(c, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) ||
	    bind(c, (void *)&lo, sizeof(lo)) || ut_setint(n, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops) ||
	    bind(n, (void *)&lo, sizeof(lo)) || setsockopt(e, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt)))
		zdtm_fail("setup: %m");
	cname = it_sockname(c);
	nname = it_sockname(n);
	ename = it_sockname(e);

	zdtm_ready();
	zdtm_wait_for_term();

	UT_CHECK_INT("C", c, SOL_SOCKET, SO_PROTOCOL, PROTO);
	UT_CHECK_INT("N", n, SOL_SOCKET, SO_PROTOCOL, PROTO);
	UT_CHECK_INT("E", e, SOL_SOCKET, SO_PROTOCOL, IPPROTO_ICMPV6);
	UT_CHECK_INT("C", c, IPPROTO_IPV6, IPV6_CHECKSUM, 2);
	UT_CHECK_INT("N", n, IPPROTO_IPV6, IPV6_CHECKSUM, -1);
	UT_CHECK_INT("C", c, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
	UT_CHECK_INT("N", n, IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops);
	len = sizeof(f2);
	zdtm_check(getsockopt(e, IPPROTO_ICMPV6, ICMP6_FILTER, &f2, &len) == 0 && !memcmp(&f2, &filt, sizeof(filt)),
		   "E: ICMP6_FILTER changed");
	it_check_names("C", c, &cname, NULL);
	it_check_names("N", n, &nname, NULL);
	it_check_names("E", e, &ename, NULL);
	zdtm_check(!memcmp(&cname.v6.sin6_addr, &in6addr_loopback, 16) && !memcmp(&nname.v6.sin6_addr, &in6addr_loopback, 16),
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

	zdtm_check(it_echo(e, &lo, 0, ICMP6_ECHO_REQUEST, ICMP6_ECHO_REPLY, 0x5403, 2, 5403, 32, 0, &replies, &requests),
		   "E sendto: %m");
	zdtm_check(replies == 1, "E got %d echo replies, expected 1", replies);
	zdtm_check(requests == 0, "E got its own echo request: the filter is gone");
	zdtm_finish();
}
