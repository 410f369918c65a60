/*
 * tcp_cork: an established TCP connection whose sending end has TCP_CORK set and a few
 * corked bytes (dumped with --tcp-established).
 *
 * State: a client C connected to a listener on 127.0.0.1:20221, the accepted end S (the
 * listener is then closed). C sets TCP_CORK and writes "abc": those three bytes stay in C's
 * send queue as a partial segment (checked: 30 ms later S has nothing). Linux sends corked
 * data anyway once the ~200 ms probe timer fires, so when the checkpoint comes the bytes
 * are either still corked in C's send queue or already in S's receive queue; both must
 * come out right.
 * Check after SIGTERM: both ESTABLISHED with the recorded addresses; TCP_CORK reads 1 and
 * TCP_NODELAY 0 on C; S receives exactly "abc" once (within 2 s) and nothing more; the cork
 * still works: C writes "de" and 30 ms later S has not got it (checked only if the test was
 * not delayed past 150 ms, the earliest the kernel would push); clearing TCP_CORK sends
 * "de" at once, and then TCP_CORK reads 0.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 20221

static int getint(int fd, int level, int opt)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, opt, &v, &len))
		return -1000 - errno;
	return v;
}

static int state_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
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

static int queued(int fd)
{
	int n = -1;
	ioctl(fd, FIONREAD, &n);
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, cself, sself, x;
	int l, c, s, one = 1, zero = 0, n;
	uint64_t t0;
	char buf[16], b;
	socklen_t len;

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 1))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&a, sizeof(a)))
		zdtm_fail("connect: %m");
	s = accept(l, NULL, NULL);
	if (s < 0)
		zdtm_fail("accept: %m");
	close(l);
	len = sizeof(cself);
	getsockname(c, (void *)&cself, &len);
	len = sizeof(sself);
	getsockname(s, (void *)&sself, &len);
	if (setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)))
		zdtm_fail("TCP_CORK: %m");
	t0 = zdtm_now_ns();
	if (send(c, "abc", 3, MSG_NOSIGNAL) != 3)
		zdtm_fail("send: %m");
	zdtm_sleep_ms(30);
	n = queued(s);
	if (zdtm_now_ns() - t0 < 150000000ULL && n != 0)
		zdtm_fail("the corked bytes arrived at once (%d bytes queued at the server)", n);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(state_of(c) == TCP_ESTABLISHED && state_of(s) == TCP_ESTABLISHED, "states %d/%d", state_of(c),
		   state_of(s));
	len = sizeof(x);
	zdtm_check(getsockname(c, (void *)&x, &len) == 0 && !memcmp(&x, &cself, sizeof(x)), "client address changed");
	len = sizeof(x);
	zdtm_check(getpeername(c, (void *)&x, &len) == 0 && !memcmp(&x, &sself, sizeof(x)), "client's peer changed");
	len = sizeof(x);
	zdtm_check(getpeername(s, (void *)&x, &len) == 0 && !memcmp(&x, &cself, sizeof(x)), "server's peer changed");
	zdtm_check(getint(c, IPPROTO_TCP, TCP_CORK) == 1, "TCP_CORK reads %d, expected 1", getint(c, IPPROTO_TCP, TCP_CORK));
	zdtm_check(getint(c, IPPROTO_TCP, TCP_NODELAY) == 0, "TCP_NODELAY reads %d, expected 0",
		   getint(c, IPPROTO_TCP, TCP_NODELAY));
	memset(buf, 0, sizeof(buf));
	zdtm_check(read_full(s, buf, 3, 2000) == 3 && !memcmp(buf, "abc", 3), "the corked bytes did not arrive: \"%s\"",
		   buf);
	zdtm_check(recv(s, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "more than the corked bytes arrived");

	t0 = zdtm_now_ns();
	zdtm_check(send(c, "de", 2, MSG_NOSIGNAL) == 2, "send: %m");
	zdtm_sleep_ms(30);
	n = queued(s);
	if (zdtm_now_ns() - t0 < 150000000ULL)
		zdtm_check(n == 0, "2 bytes written with TCP_CORK arrived at once (%d queued): the cork is gone", n);
	else
		zdtm_log("delayed %llu ms: the cork's holding is not checked", (unsigned long long)(zdtm_now_ns() - t0) / 1000000);
	zdtm_check(setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero)) == 0, "clearing TCP_CORK: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(read_full(s, buf, 2, 1000) == 2 && !memcmp(buf, "de", 2), "uncorked bytes missing: \"%s\"", buf);
	zdtm_check(getint(c, IPPROTO_TCP, TCP_CORK) == 0, "TCP_CORK reads %d after clearing it",
		   getint(c, IPPROTO_TCP, TCP_CORK));
	zdtm_check(recv(s, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "extra data arrived");
	zdtm_finish();
}
