/*
 * tcp_listen_v6: IPv6 listening TCP sockets with IPV6_V6ONLY on and off.
 *
 * State: three AF_INET6 stream sockets with SO_REUSEADDR, listening (backlog 8):
 *   A on [::1]:20111 with IPV6_V6ONLY 1,
 *   B on [::1]:20112 with IPV6_V6ONLY set to 0 before the bind (binding a specific
 *     non-mapped address turns it back on: the kernel then reads 1),
 *   C on [::ffff:127.0.0.1]:20113 with IPV6_V6ONLY 0 (a v4-mapped address: only possible
 *     with V6ONLY off, and reached by plain IPv4 clients).
 * Check after SIGTERM, for each: getsockname gives the constant address, port, scope id 0
 * and flowinfo 0; IPV6_V6ONLY is what was read back before (1, 1, 0), SO_ACCEPTCONN,
 * SO_REUSEADDR, SO_DOMAIN and tcpi_state LISTEN hold;
 * /proc/net/tcp6 lists the socket (by inode) as LISTEN on that address. Then an IPv6
 * client connects to A and to B, an IPv4 client connects to 127.0.0.1:20113 and lands on
 * C (its peer there is ::ffff:127.0.0.1 with the client's port), and 500 bytes go each way
 * on each of the three connections.
 */
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN 500

static const char *const names[3] = { "A", "B", "C" };
static const int ports[3] = { 20111, 20112, 20113 };
static const int v6only[3] = { 1, 0, 0 };	/* as set */
static const int v6only_read[3] = { 1, 1, 0 };	/* as the kernel reads them after bind */

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static size_t read_full(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, ms) != 1)
			break;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

/* State of the /proc/net/tcp6 row with this inode and local address, or -1. */
static int proc_net_state(const struct sockaddr_in6 *a, unsigned long ino)
{
	char line[512], loc[80], want[80];
	unsigned st;
	unsigned long i;
	int found = -1;
	FILE *f = fopen("/proc/net/tcp6", "r");
	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%08X%08X%08X%08X:%04X", a->sin6_addr.s6_addr32[0], a->sin6_addr.s6_addr32[1],
		 a->sin6_addr.s6_addr32[2], a->sin6_addr.s6_addr32[3], ntohs(a->sin6_port));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %79s %*s %x %*s %*s %*s %*s %*s %lu", loc, &st, &i) == 3 && i == ino &&
		    !strcmp(loc, want))
			found = st;
	fclose(f);
	return found;
}

static void addr_of(int i, struct sockaddr_in6 *a)
{
	memset(a, 0, sizeof(*a));
	a->sin6_family = AF_INET6;
	a->sin6_port = htons(ports[i]);
	inet_pton(AF_INET6, i == 2 ? "::ffff:127.0.0.1" : "::1", &a->sin6_addr);
}

/* Sends LEN bytes each way between client c and the accepted socket s. */
static void exchange(const char *who, int c, int s, uint64_t seed)
{
	uint8_t buf[LEN];
	zdtm_fill(buf, LEN, seed);
	zdtm_check(send(c, buf, LEN, MSG_NOSIGNAL) == LEN, "%s: client send: %m", who);
	memset(buf, 0, LEN);
	zdtm_check(read_full(s, buf, LEN, 5000) == LEN && zdtm_verify(buf, LEN, seed) < 0, "%s: data to the server differs",
		   who);
	zdtm_fill(buf, LEN, seed + 1);
	zdtm_check(send(s, buf, LEN, MSG_NOSIGNAL) == LEN, "%s: server send: %m", who);
	memset(buf, 0, LEN);
	zdtm_check(read_full(c, buf, LEN, 5000) == LEN && zdtm_verify(buf, LEN, seed + 1) < 0,
		   "%s: data to the client differs", who);
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 a, got, peer, cl6;
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(20113) }, cl4;
	int l[3], i, one = 1;
	socklen_t len;
	struct stat st;
	struct tcp_info ti;

	zdtm_init(argc, argv);
	for (i = 0; i < 3; i++) {
		addr_of(i, &a);
		l[i] = socket(AF_INET6, SOCK_STREAM, 0);
		if (l[i] < 0 || setsockopt(l[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    setsockopt(l[i], IPPROTO_IPV6, IPV6_V6ONLY, &v6only[i], sizeof(int)) ||
		    bind(l[i], (void *)&a, sizeof(a)) || listen(l[i], 8))
			zdtm_fail("%s: listen on port %d: %m", names[i], ports[i]);
		if (getint(l[i], IPPROTO_IPV6, IPV6_V6ONLY) != v6only_read[i])
			zdtm_fail("%s: IPV6_V6ONLY reads %d after bind, expected %d", names[i],
				  getint(l[i], IPPROTO_IPV6, IPV6_V6ONLY), v6only_read[i]);
		if (fstat(l[i], &st) || proc_net_state(&a, st.st_ino) != 0x0A)
			zdtm_fail("%s: no LISTEN row in /proc/net/tcp6 before the checkpoint", names[i]);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 3; i++) {
		char txt[INET6_ADDRSTRLEN] = "?";
		addr_of(i, &a);
		memset(&got, 0xff, sizeof(got));
		len = sizeof(got);
		if (getsockname(l[i], (void *)&got, &len) == 0)
			inet_ntop(AF_INET6, &got.sin6_addr, txt, sizeof(txt));
		zdtm_check(len == sizeof(got) && got.sin6_family == AF_INET6 && got.sin6_port == a.sin6_port &&
				   !memcmp(&got.sin6_addr, &a.sin6_addr, 16) && got.sin6_scope_id == 0 && got.sin6_flowinfo == 0,
			   "%s: bound to [%s]:%d scope %u flow %u, expected port %d", names[i], txt, ntohs(got.sin6_port),
			   got.sin6_scope_id, got.sin6_flowinfo, ports[i]);
		zdtm_check(getint(l[i], IPPROTO_IPV6, IPV6_V6ONLY) == v6only_read[i], "%s: IPV6_V6ONLY is %d, expected %d",
			   names[i], getint(l[i], IPPROTO_IPV6, IPV6_V6ONLY), v6only_read[i]);
		zdtm_check(getint(l[i], SOL_SOCKET, SO_ACCEPTCONN) == 1, "%s: not listening", names[i]);
		zdtm_check(getint(l[i], SOL_SOCKET, SO_DOMAIN) == AF_INET6, "%s: SO_DOMAIN %d", names[i],
			   getint(l[i], SOL_SOCKET, SO_DOMAIN));
		zdtm_check(getint(l[i], SOL_SOCKET, SO_REUSEADDR) == 1, "%s: SO_REUSEADDR lost", names[i]);
		len = sizeof(ti);
		zdtm_check(getsockopt(l[i], IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_LISTEN,
			   "%s: tcpi_state %d", names[i], ti.tcpi_state);
		zdtm_check(fstat(l[i], &st) == 0 && proc_net_state(&a, st.st_ino) == 0x0A,
			   "%s: /proc/net/tcp6 has no LISTEN row for it", names[i]);
	}

	for (i = 0; i < 2; i++) {
		int c, s;
		addr_of(i, &a);
		c = socket(AF_INET6, SOCK_STREAM, 0);
		if (!zdtm_check(c >= 0 && connect(c, (void *)&a, sizeof(a)) == 0, "%s: an IPv6 client cannot connect: %m",
				names[i]))
			continue;
		len = sizeof(cl6);
		getsockname(c, (void *)&cl6, &len);
		len = sizeof(peer);
		s = accept(l[i], (void *)&peer, &len);
		if (!zdtm_check(s >= 0, "%s: accept: %m", names[i]))
			continue;
		zdtm_check(peer.sin6_port == cl6.sin6_port && !memcmp(&peer.sin6_addr, &in6addr_loopback, 16),
			   "%s: accepted peer is not the client", names[i]);
		exchange(names[i], c, s, 110 + 2 * i);
		close(c);
		close(s);
	}

	{
		int c, s;
		a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (zdtm_check(c >= 0 && connect(c, (void *)&a4, sizeof(a4)) == 0,
			       "C: an IPv4 client cannot connect to 127.0.0.1:20113: %m")) {
			len = sizeof(cl4);
			getsockname(c, (void *)&cl4, &len);
			addr_of(2, &a);
			len = sizeof(peer);
			s = accept(l[2], (void *)&peer, &len);
			if (zdtm_check(s >= 0, "C: accept: %m")) {
				zdtm_check(len == sizeof(peer) && peer.sin6_family == AF_INET6 &&
						   peer.sin6_port == cl4.sin_port && !memcmp(&peer.sin6_addr, &a.sin6_addr, 16),
					   "C: the IPv4 client's peer address is not ::ffff:127.0.0.1 with its port");
				exchange("C", c, s, 120);
				close(s);
			}
			close(c);
		}
	}
	zdtm_finish();
}
