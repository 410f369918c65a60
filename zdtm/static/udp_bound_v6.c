/*
 * udp_bound_v6: bound IPv6 UDP sockets, one on ::1 and one on a v4-mapped address.
 *
 * State: A, an AF_INET6 datagram socket with IPV6_V6ONLY 1 bound to [::1]:20311;
 * M, one with IPV6_V6ONLY 0 bound to [::ffff:127.0.0.1]:20312 (reached by IPv4 senders).
 * Check after SIGTERM: getsockname gives the constant addresses (scope id and flowinfo 0);
 * IPV6_V6ONLY reads 1 on A and 0 on M; SO_DOMAIN AF_INET6; /proc/net/udp6 lists both (by
 * inode) on their addresses; nothing is queued. An IPv6 sender's datagram reaches A with
 * the sender's address; an IPv4 sender's datagram to 127.0.0.1:20312 reaches M with source
 * ::ffff:127.0.0.1 and the sender's port; A and M answer and the senders get the answers
 * from [::1]:20311 and 127.0.0.1:20312.
 */
#include "zdtm.h"
#include <arpa/inet.h>
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

static int in_proc_net_udp6(const struct sockaddr_in6 *a, unsigned long ino)
{
	char line[512], loc[80], want[80];
	unsigned long i;
	int found = 0;
	FILE *f = fopen("/proc/net/udp6", "r");
	if (!f)
		return 0;
	snprintf(want, sizeof(want), "%08X%08X%08X%08X:%04X", a->sin6_addr.s6_addr32[0], a->sin6_addr.s6_addr32[1],
		 a->sin6_addr.s6_addr32[2], a->sin6_addr.s6_addr32[3], ntohs(a->sin6_port));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %79s %*s %*s %*s %*s %*s %*s %*s %lu", loc, &i) == 2 && i == ino &&
		    !strcmp(loc, want))
			found = 1;
	fclose(f);
	return found;
}

static ssize_t recv_wait(int fd, void *buf, size_t len, void *from, socklen_t *fl, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, ms) != 1)
		return -2;
	return recvfrom(fd, buf, len, MSG_DONTWAIT, from, fl);
}

static int same6(const struct sockaddr_in6 *a, const struct sockaddr_in6 *b)
{
	return a->sin6_family == AF_INET6 && a->sin6_port == b->sin6_port && !memcmp(&a->sin6_addr, &b->sin6_addr, 16) &&
	       a->sin6_scope_id == b->sin6_scope_id && a->sin6_flowinfo == b->sin6_flowinfo;
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 aa = { .sin6_family = AF_INET6, .sin6_port = htons(20311), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in6 ma = { .sin6_family = AF_INET6, .sin6_port = htons(20312) }, got, from6, t6a;
	struct sockaddr_in t4a = { .sin_family = AF_INET }, m4 = { .sin_family = AF_INET, .sin_port = htons(20312) }, from4;
	int a, m, t6, t4, one = 1, zero = 0;
	char buf[64];
	socklen_t len;
	struct stat st;
	ssize_t n;

	zdtm_init(argc, argv);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &ma.sin6_addr);
	a = socket(AF_INET6, SOCK_DGRAM, 0);
	m = socket(AF_INET6, SOCK_DGRAM, 0);
	if (a < 0 || m < 0 || setsockopt(a, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
	    setsockopt(m, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) || bind(a, (void *)&aa, sizeof(aa)) ||
	    bind(m, (void *)&ma, sizeof(ma)))
		zdtm_fail("bind: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	len = sizeof(got);
	zdtm_check(getsockname(a, (void *)&got, &len) == 0 && len == sizeof(got) && same6(&got, &aa),
		   "A is bound to port %d, expected [::1]:20311", ntohs(got.sin6_port));
	len = sizeof(got);
	zdtm_check(getsockname(m, (void *)&got, &len) == 0 && len == sizeof(got) && same6(&got, &ma),
		   "M is bound to port %d, expected [::ffff:127.0.0.1]:20312", ntohs(got.sin6_port));
	zdtm_check(getint(a, IPPROTO_IPV6, IPV6_V6ONLY) == 1, "A: IPV6_V6ONLY %d", getint(a, IPPROTO_IPV6, IPV6_V6ONLY));
	zdtm_check(getint(m, IPPROTO_IPV6, IPV6_V6ONLY) == 0, "M: IPV6_V6ONLY %d", getint(m, IPPROTO_IPV6, IPV6_V6ONLY));
	zdtm_check(getint(a, SOL_SOCKET, SO_DOMAIN) == AF_INET6 && getint(m, SOL_SOCKET, SO_DOMAIN) == AF_INET6,
		   "SO_DOMAIN is not AF_INET6");
	zdtm_check(fstat(a, &st) == 0 && in_proc_net_udp6(&aa, st.st_ino), "/proc/net/udp6 does not list A");
	zdtm_check(fstat(m, &st) == 0 && in_proc_net_udp6(&ma, st.st_ino), "/proc/net/udp6 does not list M");
	zdtm_check(recv(a, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "A has a datagram queued");
	zdtm_check(recv(m, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "M has a datagram queued");

	t6 = socket(AF_INET6, SOCK_DGRAM, 0);
	t6a = aa;
	t6a.sin6_port = 0;
	len = sizeof(t6a);
	if (t6 < 0 || bind(t6, (void *)&t6a, sizeof(t6a)) || getsockname(t6, (void *)&t6a, &len))
		zdtm_fail("v6 sender: %m");
	t4 = socket(AF_INET, SOCK_DGRAM, 0);
	t4a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = sizeof(t4a);
	if (t4 < 0 || bind(t4, (void *)&t4a, sizeof(t4a)) || getsockname(t4, (void *)&t4a, &len))
		zdtm_fail("v4 sender: %m");
	m4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	zdtm_check(sendto(t6, "six", 3, 0, (void *)&aa, sizeof(aa)) == 3, "sendto A: %m");
	len = sizeof(from6);
	n = recv_wait(a, buf, sizeof(buf), &from6, &len, 5000);
	zdtm_check(n == 3 && !memcmp(buf, "six", 3) && same6(&from6, &t6a), "A: wrong datagram (%zd bytes, port %d)", n,
		   ntohs(from6.sin6_port));
	zdtm_check(sendto(a, "ans-a", 5, 0, (void *)&t6a, sizeof(t6a)) == 5, "A cannot answer: %m");
	len = sizeof(from6);
	n = recv_wait(t6, buf, sizeof(buf), &from6, &len, 5000);
	zdtm_check(n == 5 && !memcmp(buf, "ans-a", 5) && same6(&from6, &aa), "A's answer wrong (%zd bytes)", n);

	zdtm_check(sendto(t4, "four", 4, 0, (void *)&m4, sizeof(m4)) == 4, "sendto 127.0.0.1:20312: %m");
	len = sizeof(from6);
	n = recv_wait(m, buf, sizeof(buf), &from6, &len, 5000);
	zdtm_check(n == 4 && !memcmp(buf, "four", 4) && from6.sin6_family == AF_INET6 &&
		   from6.sin6_port == t4a.sin_port && !memcmp(&from6.sin6_addr, &ma.sin6_addr, 16),
		   "M: wrong datagram from the IPv4 sender (%zd bytes, port %d)", n, ntohs(from6.sin6_port));
	from6.sin6_port = t4a.sin_port;
	zdtm_check(sendto(m, "ans-m", 5, 0, (void *)&from6, sizeof(from6)) == 5, "M cannot answer: %m");
	len = sizeof(from4);
	n = recv_wait(t4, buf, sizeof(buf), &from4, &len, 5000);
	zdtm_check(n == 5 && !memcmp(buf, "ans-m", 5) && from4.sin_port == htons(20312) &&
		   from4.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "M's answer wrong (%zd bytes)", n);
	zdtm_finish();
}
