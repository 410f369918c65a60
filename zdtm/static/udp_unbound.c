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
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

/* 1 if some row of the file has this inode. */
static int listed(const char *file, int fd)
{
	char line[512];
	unsigned long i;
	struct stat st;
	int found = 0;
	FILE *f = fopen(file, "r");
	if (!f || fstat(fd, &st))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %*s %*s %*s %*s %*s %*s %*s %*s %lu", &i) == 1 && i == st.st_ino)
			found = 1;
	fclose(f);
	return found;
}

static int in_port_range(int port)
{
	char buf[64];
	int lo = 0, hi = 0;
	zdtm_read_file("/proc/sys/net/ipv4/ip_local_port_range", buf, sizeof(buf));
	return sscanf(buf, "%d %d", &lo, &hi) == 2 && port >= lo && port <= hi;
}

int main(int argc, char **argv)
{
	struct sockaddr_in r4a = { .sin_family = AF_INET, .sin_port = htons(20356) }, g4, from4;
	struct sockaddr_in6 r6a = { .sin6_family = AF_INET6, .sin6_port = htons(20357), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 g6, from6;
	int f4, f6, r4, r6, v6only;
	socklen_t len;
	char buf[16];
	struct pollfd p;

	zdtm_init(argc, argv);
	f4 = socket(AF_INET, SOCK_DGRAM, 0);
	f6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (f4 < 0 || f6 < 0)
		zdtm_fail("socket: %m");
	v6only = getint(f6, IPPROTO_IPV6, IPV6_V6ONLY);

	zdtm_ready();
	zdtm_wait_for_term();

	memset(&g4, 0xff, sizeof(g4));
	len = sizeof(g4);
	zdtm_check(getsockname(f4, (void *)&g4, &len) == 0 && g4.sin_family == AF_INET && g4.sin_port == 0 &&
		   g4.sin_addr.s_addr == 0, "F4 is bound to port %d", ntohs(g4.sin_port));
	memset(&g6, 0xff, sizeof(g6));
	len = sizeof(g6);
	zdtm_check(getsockname(f6, (void *)&g6, &len) == 0 && g6.sin6_family == AF_INET6 && g6.sin6_port == 0 &&
		   !memcmp(&g6.sin6_addr, &in6addr_any, 16), "F6 is bound to port %d", ntohs(g6.sin6_port));
	len = sizeof(g4);
	zdtm_check(getpeername(f4, (void *)&g4, &len) < 0 && errno == ENOTCONN, "F4 is connected (%m)");
	len = sizeof(g6);
	zdtm_check(getpeername(f6, (void *)&g6, &len) < 0 && errno == ENOTCONN, "F6 is connected (%m)");
	zdtm_check(listed("/proc/net/udp", f4) == 0, "F4 is listed in /proc/net/udp: it was bound");
	zdtm_check(listed("/proc/net/udp6", f6) == 0, "F6 is listed in /proc/net/udp6: it was bound");
	zdtm_check(getint(f6, IPPROTO_IPV6, IPV6_V6ONLY) == v6only, "F6: IPV6_V6ONLY %d, was %d",
		   getint(f6, IPPROTO_IPV6, IPV6_V6ONLY), v6only);
	zdtm_check(recv(f4, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "F4 has data");
	zdtm_check(recv(f6, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "F6 has data");

	r4a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r4 = socket(AF_INET, SOCK_DGRAM, 0);
	r6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (r4 < 0 || r6 < 0 || bind(r4, (void *)&r4a, sizeof(r4a)) || bind(r6, (void *)&r6a, sizeof(r6a)))
		zdtm_fail("receivers: %m");
	zdtm_check(sendto(f4, "four", 4, 0, (void *)&r4a, sizeof(r4a)) == 4, "F4 sendto: %m");
	zdtm_check(sendto(f6, "six", 3, 0, (void *)&r6a, sizeof(r6a)) == 3, "F6 sendto: %m");
	len = sizeof(g4);
	getsockname(f4, (void *)&g4, &len);
	len = sizeof(g6);
	getsockname(f6, (void *)&g6, &len);
	zdtm_check(in_port_range(ntohs(g4.sin_port)), "F4 got port %d, not an ephemeral one", ntohs(g4.sin_port));
	zdtm_check(in_port_range(ntohs(g6.sin6_port)), "F6 got port %d, not an ephemeral one", ntohs(g6.sin6_port));
	p.fd = r4;
	p.events = POLLIN;
	len = sizeof(from4);
	zdtm_check(poll(&p, 1, 5000) == 1 && recvfrom(r4, buf, sizeof(buf), 0, (void *)&from4, &len) == 4 &&
		   !memcmp(buf, "four", 4) && from4.sin_port == g4.sin_port, "F4's datagram did not arrive from its port");
	p.fd = r6;
	len = sizeof(from6);
	zdtm_check(poll(&p, 1, 5000) == 1 && recvfrom(r6, buf, sizeof(buf), 0, (void *)&from6, &len) == 3 &&
		   !memcmp(buf, "six", 3) && from6.sin6_port == g6.sin6_port, "F6's datagram did not arrive from its port");
	zdtm_finish();
}
