/*
 * udp_bound_v4: bound IPv4 UDP sockets.
 *
 * State: U, an AF_INET datagram socket bound to 127.0.0.1:20301 with SO_RCVBUF 65536;
 * E, one bound to 127.0.0.1 port 0 (the kernel picks a port, recorded). Nothing queued.
 * Check after SIGTERM: U is bound to 127.0.0.1:20301 and E to 127.0.0.1 with the recorded
 * port; SO_TYPE, SO_PROTOCOL, SO_RCVBUF (as read back before) hold; /proc/net/udp lists
 * both (by inode) on their addresses; nothing is queued on either; getpeername gives
 * ENOTCONN. A fresh sender sends datagrams of 1, 1400 and 60000 bytes to U and one to E:
 * each arrives whole, in order, from the sender's address; U and E answer with sendto and
 * the sender gets the answers from 127.0.0.1:20301 and from E's port.
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

static int in_proc_net_udp(const struct sockaddr_in *a, unsigned long ino)
{
	char line[512], loc[64], want[64];
	unsigned long i;
	int found = 0;
	FILE *f = fopen("/proc/net/udp", "r");
	if (!f)
		return 0;
	snprintf(want, sizeof(want), "%08X:%04X", a->sin_addr.s_addr, ntohs(a->sin_port));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " %*d: %63s %*s %*s %*s %*s %*s %*s %*s %lu", loc, &i) == 2 && i == ino &&
		    !strcmp(loc, want))
			found = 1;
	fclose(f);
	return found;
}

static ssize_t recv_wait(int fd, void *buf, size_t len, struct sockaddr_in *from, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	socklen_t fl = sizeof(*from);
	if (poll(&p, 1, ms) != 1)
		return -2;
	return recvfrom(fd, buf, len, MSG_DONTWAIT | MSG_TRUNC, (void *)from, &fl);
}

static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == AF_INET && a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	static const int sizes[3] = { 1, 1400, 60000 };
	struct sockaddr_in ua = { .sin_family = AF_INET, .sin_port = htons(20301) }, ea, ta, got, from;
	int u, e, t, i, rcv = 65536, rcvbuf;
	socklen_t len;
	struct stat st;
	ssize_t n;

	zdtm_init(argc, argv);
	ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ea = ua;
	ea.sin_port = 0;
	u = socket(AF_INET, SOCK_DGRAM, 0);
	e = socket(AF_INET, SOCK_DGRAM, 0);
	if (u < 0 || e < 0 || setsockopt(u, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) || bind(u, (void *)&ua, sizeof(ua)) ||
	    bind(e, (void *)&ea, sizeof(ea)))
		zdtm_fail("bind: %m");
	len = sizeof(ea);
	if (getsockname(e, (void *)&ea, &len) || ea.sin_port == 0)
		zdtm_fail("getsockname: %m");
	rcvbuf = getint(u, SOL_SOCKET, SO_RCVBUF);
	zdtm_log("E got port %d", ntohs(ea.sin_port));

	zdtm_ready();
	zdtm_wait_for_term();

	len = sizeof(got);
	zdtm_check(getsockname(u, (void *)&got, &len) == 0 && same(&got, &ua), "U bound to port %d, expected 20301",
		   ntohs(got.sin_port));
	len = sizeof(got);
	zdtm_check(getsockname(e, (void *)&got, &len) == 0 && same(&got, &ea), "E bound to port %d, expected %d",
		   ntohs(got.sin_port), ntohs(ea.sin_port));
	zdtm_check(getint(u, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM && getint(u, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP,
		   "U: type %d protocol %d", getint(u, SOL_SOCKET, SO_TYPE), getint(u, SOL_SOCKET, SO_PROTOCOL));
	zdtm_check(getint(u, SOL_SOCKET, SO_RCVBUF) == rcvbuf, "U: SO_RCVBUF %d, was %d", getint(u, SOL_SOCKET, SO_RCVBUF),
		   rcvbuf);
	zdtm_check(fstat(u, &st) == 0 && in_proc_net_udp(&ua, st.st_ino), "/proc/net/udp does not list U on its address");
	zdtm_check(fstat(e, &st) == 0 && in_proc_net_udp(&ea, st.st_ino), "/proc/net/udp does not list E on its address");
	len = sizeof(got);
	zdtm_check(getpeername(u, (void *)&got, &len) < 0 && errno == ENOTCONN, "U: getpeername did not fail (%m)");
	zdtm_check(recv(u, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "U has a datagram queued");
	zdtm_check(recv(e, buf, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "E has a datagram queued");

	t = socket(AF_INET, SOCK_DGRAM, 0);
	ta = ua;
	ta.sin_port = 0;
	len = sizeof(ta);
	if (t < 0 || bind(t, (void *)&ta, sizeof(ta)) || getsockname(t, (void *)&ta, &len))
		zdtm_fail("sender: %m");
	for (i = 0; i < 3; i++) {
		zdtm_fill(buf, sizes[i], 3010 + i);
		zdtm_check(sendto(t, buf, sizes[i], 0, (void *)&ua, sizeof(ua)) == sizes[i], "sendto U: %m");
	}
	zdtm_check(sendto(t, "to-e", 4, 0, (void *)&ea, sizeof(ea)) == 4, "sendto E: %m");
	for (i = 0; i < 3; i++) {
		memset(buf, 0, sizes[i]);
		n = recv_wait(u, buf, sizeof(buf), &from, 5000);
		zdtm_check(n == sizes[i] && zdtm_verify(buf, n, 3010 + i) < 0 && same(&from, &ta),
			   "U: datagram %d: %zd bytes (expected %d) from port %d", i, n, sizes[i], ntohs(from.sin_port));
	}
	n = recv_wait(e, buf, sizeof(buf), &from, 5000);
	zdtm_check(n == 4 && !memcmp(buf, "to-e", 4) && same(&from, &ta), "E: wrong datagram (%zd bytes)", n);
	zdtm_check(sendto(u, "from-u", 6, 0, (void *)&ta, sizeof(ta)) == 6 && sendto(e, "from-e", 6, 0, (void *)&ta,
		   sizeof(ta)) == 6, "answers: %m");
	n = recv_wait(t, buf, sizeof(buf), &from, 5000);
	zdtm_check(n == 6 && !memcmp(buf, "from-u", 6) && same(&from, &ua), "U's answer wrong (%zd bytes, port %d)", n,
		   ntohs(from.sin_port));
	n = recv_wait(t, buf, sizeof(buf), &from, 5000);
	zdtm_check(n == 6 && !memcmp(buf, "from-e", 6) && same(&from, &ea), "E's answer wrong (%zd bytes, port %d)", n,
		   ntohs(from.sin_port));
	zdtm_finish();
}
