/*
 * udp_connected: connected UDP sockets, IPv4 and IPv6.
 *
 * State: X bound to 127.0.0.1:20321 and connected to 127.0.0.1:20322, Y bound there and
 * connected back; Z, unconnected, bound to 127.0.0.1:20323. V bound to [::1]:20324 and
 * connected to [::1]:20325, W bound there and connected back.
 * Check after SIGTERM: getsockname and getpeername of X, Y, V, W give the constant
 * addresses; Z's getpeername fails with ENOTCONN. A connected socket only takes its peer's
 * datagrams: Z sends to X first, then Y sends with send() (no address): X gets only Y's
 * datagram (from 127.0.0.1:20322) and nothing else; X answers with send() and Y gets it;
 * V and W exchange datagrams with send() and recvfrom shows the peer's address.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in a4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static struct sockaddr_in6 a6(int port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	return a;
}

static ssize_t recv_wait(int fd, void *buf, size_t len, void *from, socklen_t *fl, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	if (poll(&p, 1, ms) != 1)
		return -2;
	return recvfrom(fd, buf, len, MSG_DONTWAIT, from, fl);
}

/* getsockname/getpeername of fd equal these (v4 or v6 by size). */
static void check_names(const char *who, int fd, const void *self, const void *peer, socklen_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	zdtm_check(getsockname(fd, (void *)&ss, &len) == 0 && len == size && !memcmp(&ss, self, size),
		   "%s: local address changed", who);
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	zdtm_check(getpeername(fd, (void *)&ss, &len) == 0 && len == size && !memcmp(&ss, peer, size),
		   "%s: peer address changed", who);
}

int main(int argc, char **argv)
{
	struct sockaddr_in xa = a4(20321), ya = a4(20322), za = a4(20323), from;
	struct sockaddr_in6 va = a6(20324), wa = a6(20325), from6;
	int x, y, z, v, w;
	char buf[64];
	socklen_t len;
	ssize_t n;

	zdtm_init(argc, argv);
	x = socket(AF_INET, SOCK_DGRAM, 0);
	y = socket(AF_INET, SOCK_DGRAM, 0);
	z = socket(AF_INET, SOCK_DGRAM, 0);
	v = socket(AF_INET6, SOCK_DGRAM, 0);
	w = socket(AF_INET6, SOCK_DGRAM, 0);
	if (x < 0 || y < 0 || z < 0 || v < 0 || w < 0)
		zdtm_fail("socket: %m");
	if (bind(x, (void *)&xa, sizeof(xa)) || bind(y, (void *)&ya, sizeof(ya)) || bind(z, (void *)&za, sizeof(za)) ||
	    connect(x, (void *)&ya, sizeof(ya)) || connect(y, (void *)&xa, sizeof(xa)))
		zdtm_fail("IPv4 sockets: %m");
	if (bind(v, (void *)&va, sizeof(va)) || bind(w, (void *)&wa, sizeof(wa)) || connect(v, (void *)&wa, sizeof(wa)) ||
	    connect(w, (void *)&va, sizeof(va)))
		zdtm_fail("IPv6 sockets: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	check_names("X", x, &xa, &ya, sizeof(xa));
	check_names("Y", y, &ya, &xa, sizeof(xa));
	check_names("V", v, &va, &wa, sizeof(va));
	check_names("W", w, &wa, &va, sizeof(va));
	len = sizeof(from);
	zdtm_check(getpeername(z, (void *)&from, &len) < 0 && errno == ENOTCONN, "Z is connected (%m)");

	zdtm_check(sendto(z, "stranger", 8, 0, (void *)&xa, sizeof(xa)) == 8, "Z sendto: %m");
	zdtm_sleep_ms(20);
	zdtm_check(send(y, "peer", 4, 0) == 4, "Y send: %m");
	len = sizeof(from);
	n = recv_wait(x, buf, sizeof(buf), &from, &len, 5000);
	zdtm_check(n == 4 && !memcmp(buf, "peer", 4) && from.sin_port == ya.sin_port,
		   "X's first datagram is not Y's (%zd bytes from port %d): not connected", n, ntohs(from.sin_port));
	zdtm_sleep_ms(20);
	zdtm_check(recv(x, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "X took another datagram");
	zdtm_check(send(x, "back", 4, 0) == 4, "X send: %m");
	len = sizeof(from);
	n = recv_wait(y, buf, sizeof(buf), &from, &len, 5000);
	zdtm_check(n == 4 && !memcmp(buf, "back", 4) && from.sin_port == xa.sin_port, "Y did not get X's datagram");

	zdtm_check(send(v, "v-to-w", 6, 0) == 6 && send(w, "w-to-v", 6, 0) == 6, "V/W send: %m");
	len = sizeof(from6);
	n = recv_wait(w, buf, sizeof(buf), &from6, &len, 5000);
	zdtm_check(n == 6 && !memcmp(buf, "v-to-w", 6) && from6.sin6_port == va.sin6_port, "W did not get V's datagram");
	len = sizeof(from6);
	n = recv_wait(v, buf, sizeof(buf), &from6, &len, 5000);
	zdtm_check(n == 6 && !memcmp(buf, "w-to-v", 6) && from6.sin6_port == wa.sin6_port, "V did not get W's datagram");
	zdtm_finish();
}
