/*
 * udp_unbound: UDP sockets that were never bound nor used.
 *
 * State: F4, a fresh AF_INET datagram socket, and F6, a fresh AF_INET6 one (its
 * IPV6_V6ONLY default recorded); neither bound, connected or used.
 * Check after SIGTERM: getsockname gives 0.0.0.0:0 and [::]:0; getpeername fails with
 * ENOTCONN; neither appears in /proc/net/udp or /proc/net/udp6 (by inode); F6's
 * IPV6_V6ONLY is as recorded; nothing queued. The first sendto binds them automatically:
 * F4's datagram to a receiver on 127.0.0.1:20356 and F6's to one on [::1]:20357 arrive from
 * the port getsockname now reports, a port from net.ipv4.ip_local_port_range.
 */
#include "inet_util.h"

static int in_port_range(int port)
{
	char buf[64];
	int lo = 0, hi = 0;
	zdtm_read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf));
	return sscanf(buf, "%d %d", &lo, &hi) == 2 && port >= lo && port <= hi;
}

int main(int argc, char **argv)
{
	struct sockaddr_in r4a = it_lo4(20356), any4 = { .sin_family = AF_INET };
	struct sockaddr_in6 r6a = it_lo6(20357), any6 = { .sin6_family = AF_INET6 };
	union it_addr g4, g6, from;
	int f4, f6, r4, r6, v6only;
	char buf[16];

	zdtm_init(argc, argv);
	f4 = socket(AF_INET, SOCK_DGRAM, 0);
	f6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (f4 < 0 || f6 < 0)
		zdtm_fail("socket: %m");
	v6only = ut_getint(f6, IPPROTO_IPV6, IPV6_V6ONLY);

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_names("F4", f4, &any4, NULL);
	it_check_names("F6", f6, &any6, NULL);
	zdtm_check(it_unconnected(f4), "F4 is connected (%m)");
	zdtm_check(it_unconnected(f6), "F6 is connected (%m)");
	zdtm_check(it_proc_net_state("/proc/net/udp", NULL, f4) == -1, "F4 is listed in /proc/net/udp: it was bound");
	zdtm_check(it_proc_net_state("/proc/net/udp6", NULL, f6) == -1, "F6 is listed in /proc/net/udp6: it was bound");
	UT_CHECK_INT("F6", f6, IPPROTO_IPV6, IPV6_V6ONLY, v6only);
	zdtm_check(ut_empty(f4), "F4 has data");
	zdtm_check(ut_empty(f6), "F6 has data");

	r4 = it_udp_bound(&r4a);
	r6 = it_udp_bound(&r6a);
	zdtm_check(sendto(f4, "four", 4, 0, (void *)&r4a, sizeof(r4a)) == 4, "F4 sendto: %m");
	zdtm_check(sendto(f6, "six", 3, 0, (void *)&r6a, sizeof(r6a)) == 3, "F6 sendto: %m");
	g4 = it_sockname(f4);
	g6 = it_sockname(f6);
	zdtm_check(in_port_range(it_port(&g4)), "F4 got port %d, not an ephemeral one", it_port(&g4));
	zdtm_check(in_port_range(it_port(&g6)), "F6 got port %d, not an ephemeral one", it_port(&g6));
	zdtm_check(it_recvfrom_wait(r4, buf, sizeof(buf), 0, &from, sizeof(from), 5000) == 4 && !memcmp(buf, "four", 4) &&
		   it_port(&from) == it_port(&g4), "F4's datagram did not arrive from its port");
	zdtm_check(it_recvfrom_wait(r6, buf, sizeof(buf), 0, &from, sizeof(from), 5000) == 3 && !memcmp(buf, "six", 3) &&
		   it_port(&from) == it_port(&g6), "F6's datagram did not arrive from its port");
	zdtm_finish();
}
