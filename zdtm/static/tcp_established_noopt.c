/*
 * tcp_established_noopt: an established TCP connection dumped WITHOUT --tcp-established:
 * the dump must refuse it cleanly and leave the test running as it was (flag crfail).
 *
 * State: a client connected to a listener on 127.0.0.1:20171, the accepted end (the
 * listener is then closed); 1200 bytes (pattern 1711) queued to the server, 800 bytes
 * (pattern 1712) to the client, none read; TCP_NODELAY on the client.
 * Check after SIGTERM: both ends ESTABLISHED with the recorded addresses; TCP_NODELAY on
 * the client only; each end reads exactly its queued bytes, nothing more; then a message
 * goes each way.
 */
#include "zdtm.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 20171

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

static int nothing_more(int fd)
{
	char b;
	return recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

static int state_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, cself, sself, cpeer, speer, x;
	int l, c, s, one = 1, inq = -1, i;
	uint8_t buf[1200];
	socklen_t len;

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 1))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)) || setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		zdtm_fail("connect: %m");
	s = accept(l, NULL, NULL);
	if (s < 0)
		zdtm_fail("accept: %m");
	close(l);
	zdtm_fill(buf, 1200, 1711);
	if (send(c, buf, 1200, MSG_NOSIGNAL) != 1200)
		zdtm_fail("send: %m");
	zdtm_fill(buf, 800, 1712);
	if (send(s, buf, 800, MSG_NOSIGNAL) != 800)
		zdtm_fail("send: %m");
	for (i = 0; i < 100 && inq != 1200; i++) {
		zdtm_sleep_ms(10);
		ioctl(s, FIONREAD, &inq);
	}
	len = sizeof(cself);
	getsockname(c, (void *)&cself, &len);
	len = sizeof(cpeer);
	getpeername(c, (void *)&cpeer, &len);
	len = sizeof(sself);
	getsockname(s, (void *)&sself, &len);
	len = sizeof(speer);
	getpeername(s, (void *)&speer, &len);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(state_of(c) == TCP_ESTABLISHED && state_of(s) == TCP_ESTABLISHED, "states %d/%d, expected ESTABLISHED",
		   state_of(c), state_of(s));
	len = sizeof(x);
	zdtm_check(getsockname(c, (void *)&x, &len) == 0 && !memcmp(&x, &cself, sizeof(x)), "client address changed");
	len = sizeof(x);
	zdtm_check(getpeername(c, (void *)&x, &len) == 0 && !memcmp(&x, &cpeer, sizeof(x)) && x.sin_port == htons(PORT),
		   "client's peer changed");
	len = sizeof(x);
	zdtm_check(getsockname(s, (void *)&x, &len) == 0 && !memcmp(&x, &sself, sizeof(x)), "server address changed");
	len = sizeof(x);
	zdtm_check(getpeername(s, (void *)&x, &len) == 0 && !memcmp(&x, &speer, sizeof(x)) &&
		   x.sin_port == cself.sin_port, "server's peer changed");
	zdtm_check(getint(c, IPPROTO_TCP, TCP_NODELAY) == 1 && getint(s, IPPROTO_TCP, TCP_NODELAY) == 0,
		   "TCP_NODELAY client %d server %d, expected 1 and 0", getint(c, IPPROTO_TCP, TCP_NODELAY),
		   getint(s, IPPROTO_TCP, TCP_NODELAY));
	memset(buf, 0, sizeof(buf));
	zdtm_check(read_full(s, buf, 1200, 5000) == 1200 && zdtm_verify(buf, 1200, 1711) < 0 && nothing_more(s),
		   "the server's queued data differs");
	memset(buf, 0, sizeof(buf));
	zdtm_check(read_full(c, buf, 800, 5000) == 800 && zdtm_verify(buf, 800, 1712) < 0 && nothing_more(c),
		   "the client's queued data differs");
	zdtm_check(send(c, "up", 2, MSG_NOSIGNAL) == 2 && read_full(s, buf, 2, 5000) == 2 && !memcmp(buf, "up", 2),
		   "client-to-server message lost");
	zdtm_check(send(s, "down", 4, MSG_NOSIGNAL) == 4 && read_full(c, buf, 4, 5000) == 4 && !memcmp(buf, "down", 4),
		   "server-to-client message lost");
	zdtm_finish();
}
