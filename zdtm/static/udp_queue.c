/*
 * udp_queue: UDP datagrams from two senders waiting in a receive queue, IPv4 and IPv6.
 *
 * State: R bound to 127.0.0.1:20331 holds 8 unread datagrams sent alternately by S1
 * (127.0.0.1:20332) and S2 (127.0.0.1:20333) in the order 1 2 1 1 2 2 1 2, of 0, 1, 100,
 * 1472, 9000, 3, 2000 and 512 bytes, datagram i filled with pattern 3300 + i. R6 bound to
 * [::1]:20334 holds 4 datagrams from T1 ([::1]:20335) and T2 ([::1]:20336) in the order
 * 1 2 2 1, of 7, 0, 1500 and 333 bytes, pattern 3400 + i.
 * Check after SIGTERM: FIONREAD on R is the size of the first datagram (0) and on R6 7;
 * recvfrom (MSG_TRUNC, so a shortened datagram would show) gives every datagram in order,
 * whole, with its content and the right sender's address and port; then the queues are
 * empty; a new datagram from S2 still arrives after them.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define N4 8
#define N6 4
static const int who4[N4] = { 1, 2, 1, 1, 2, 2, 1, 2 };
static const int len4[N4] = { 0, 1, 100, 1472, 9000, 3, 2000, 512 };
static const int who6[N6] = { 1, 2, 2, 1 };
static const int len6[N6] = { 7, 0, 1500, 333 };

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

static int udp(int family, const void *addr, socklen_t len)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, addr, len))
		zdtm_fail("bind port %d: %m", ntohs(((const struct sockaddr_in *)addr)->sin_port));
	return fd;
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct sockaddr_in ra = a4(20331), sa[3] = { a4(0), a4(20332), a4(20333) }, from;
	struct sockaddr_in6 r6a = a6(20334), ta[3] = { a6(0), a6(20335), a6(20336) }, from6;
	int r, r6, s[3], t[3], i, q;
	socklen_t len;
	ssize_t n;

	zdtm_init(argc, argv);
	r = udp(AF_INET, &ra, sizeof(ra));
	r6 = udp(AF_INET6, &r6a, sizeof(r6a));
	for (i = 1; i <= 2; i++) {
		s[i] = udp(AF_INET, &sa[i], sizeof(sa[i]));
		t[i] = udp(AF_INET6, &ta[i], sizeof(ta[i]));
	}
	for (i = 0; i < N4; i++) {
		zdtm_fill(buf, len4[i], 3300 + i);
		if (sendto(s[who4[i]], buf, len4[i], 0, (void *)&ra, sizeof(ra)) != len4[i])
			zdtm_fail("sendto R: %m");
	}
	for (i = 0; i < N6; i++) {
		zdtm_fill(buf, len6[i], 3400 + i);
		if (sendto(t[who6[i]], buf, len6[i], 0, (void *)&r6a, sizeof(r6a)) != len6[i])
			zdtm_fail("sendto R6: %m");
	}
	zdtm_sleep_ms(50);
	if (ioctl(r6, FIONREAD, &q) || q != len6[0])
		zdtm_fail("R6: FIONREAD %d before the checkpoint, expected %d", q, len6[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ioctl(r, FIONREAD, &q) == 0 && q == len4[0], "R: FIONREAD %d, expected %d", q, len4[0]);
	zdtm_check(ioctl(r6, FIONREAD, &q) == 0 && q == len6[0], "R6: FIONREAD %d, expected %d", q, len6[0]);
	for (i = 0; i < N4; i++) {
		len = sizeof(from);
		memset(&from, 0, sizeof(from));
		memset(buf, 0, len4[i] + 1);
		n = recvfrom(r, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, (void *)&from, &len);
		if (!zdtm_check(n >= 0, "R: datagram %d is missing (%m)", i))
			break;
		zdtm_check(n == len4[i] && zdtm_verify(buf, n, 3300 + i) < 0, "R: datagram %d has %zd bytes (expected %d) or wrong content",
			   i, n, len4[i]);
		zdtm_check(len == sizeof(from) && from.sin_family == AF_INET && from.sin_port == sa[who4[i]].sin_port &&
			   from.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "R: datagram %d comes from port %d, expected %d",
			   i, ntohs(from.sin_port), ntohs(sa[who4[i]].sin_port));
	}
	zdtm_check(recv(r, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "R: more datagrams than were sent");
	for (i = 0; i < N6; i++) {
		len = sizeof(from6);
		memset(&from6, 0, sizeof(from6));
		memset(buf, 0, len6[i] + 1);
		n = recvfrom(r6, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, (void *)&from6, &len);
		if (!zdtm_check(n >= 0, "R6: datagram %d is missing (%m)", i))
			break;
		zdtm_check(n == len6[i] && zdtm_verify(buf, n, 3400 + i) < 0,
			   "R6: datagram %d has %zd bytes (expected %d) or wrong content", i, n, len6[i]);
		zdtm_check(len == sizeof(from6) && from6.sin6_family == AF_INET6 && from6.sin6_port == ta[who6[i]].sin6_port &&
			   !memcmp(&from6.sin6_addr, &in6addr_loopback, 16), "R6: datagram %d comes from port %d, expected %d",
			   i, ntohs(from6.sin6_port), ntohs(ta[who6[i]].sin6_port));
	}
	zdtm_check(recv(r6, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "R6: more datagrams than were sent");

	zdtm_check(sendto(s[2], "late", 4, 0, (void *)&ra, sizeof(ra)) == 4, "late sendto: %m");
	{
		struct pollfd p = { r, POLLIN, 0 };
		len = sizeof(from);
		zdtm_check(poll(&p, 1, 5000) == 1 && recvfrom(r, buf, sizeof(buf), 0, (void *)&from, &len) == 4 &&
			   !memcmp(buf, "late", 4) && from.sin_port == sa[2].sin_port, "R: a new datagram does not arrive");
	}
	zdtm_finish();
}
