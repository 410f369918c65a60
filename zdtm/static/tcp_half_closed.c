/*
 * tcp_half_closed: a half-closed TCP connection, FIN_WAIT2 on one end and CLOSE_WAIT on
 * the other, both ends in the test (dumped with --tcp-established).
 *
 * State: a client C connected to a listener on 127.0.0.1:20201, the accepted end S (the
 * listener is then closed). C wrote 2000 bytes (pattern 2011) and then shutdown(SHUT_WR);
 * S wrote 3000 bytes (pattern 2012) to C. Nothing was read. Once the FIN is acknowledged C
 * is in FIN_WAIT2 and S in CLOSE_WAIT. poll() events of both are recorded.
 * Check after SIGTERM: tcpi_state FIN_WAIT2 and CLOSE_WAIT; addresses as recorded; poll()
 * events as recorded; S reads the 2000 bytes and then EOF (read returns 0, twice); C cannot
 * send any more (EPIPE); S sends 1000 more bytes (pattern continued) and C reads all 4000
 * in order; S then shuts down its side too and C sees EOF.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 20201
#define C2S 2000
#define S2C 3000
#define MORE 1000

static int state_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

/* Reads up to len bytes within ms; stops early at EOF (*eof = 1). */
static size_t read_full(int fd, void *buf, size_t len, int ms, int *eof)
{
	size_t got = 0;
	*eof = 0;
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, ms) != 1)
			break;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n == 0)
			*eof = 1;
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

static short events(int fd)
{
	struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 };
	poll(&p, 1, 0);
	return p.revents;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, cself, cpeer, sself, speer, x;
	int l, c, s, one = 1, i, eof;
	short cev, sev;
	uint8_t buf[S2C + MORE + 16];
	socklen_t len;
	char b;

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
	zdtm_fill(buf, C2S, 2011);
	if (send(c, buf, C2S, MSG_NOSIGNAL) != C2S || shutdown(c, SHUT_WR))
		zdtm_fail("client send/shutdown: %m");
	zdtm_fill(buf, S2C, 2012);
	if (send(s, buf, S2C, MSG_NOSIGNAL) != S2C)
		zdtm_fail("server send: %m");
	for (i = 0; i < 200 && (state_of(c) != TCP_FIN_WAIT2 || state_of(s) != TCP_CLOSE_WAIT); i++)
		zdtm_sleep_ms(10);
	if (state_of(c) != TCP_FIN_WAIT2 || state_of(s) != TCP_CLOSE_WAIT)
		zdtm_fail("states %d/%d, expected FIN_WAIT2/CLOSE_WAIT", state_of(c), state_of(s));
	zdtm_sleep_ms(50);	/* let the last ACKs settle before recording poll events */
	cev = events(c);
	sev = events(s);
	len = sizeof(cself);
	getsockname(c, (void *)&cself, &len);
	len = sizeof(cpeer);
	getpeername(c, (void *)&cpeer, &len);
	len = sizeof(sself);
	getsockname(s, (void *)&sself, &len);
	len = sizeof(speer);
	getpeername(s, (void *)&speer, &len);
	zdtm_log("poll events: client %#x, server %#x", cev, sev);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(state_of(c) == TCP_FIN_WAIT2, "client state %d, expected FIN_WAIT2", state_of(c));
	zdtm_check(state_of(s) == TCP_CLOSE_WAIT, "server state %d, expected CLOSE_WAIT", state_of(s));
	len = sizeof(x);
	zdtm_check(getsockname(c, (void *)&x, &len) == 0 && !memcmp(&x, &cself, sizeof(x)), "client address changed");
	len = sizeof(x);
	zdtm_check(getpeername(c, (void *)&x, &len) == 0 && !memcmp(&x, &cpeer, sizeof(x)), "client's peer changed");
	len = sizeof(x);
	zdtm_check(getsockname(s, (void *)&x, &len) == 0 && !memcmp(&x, &sself, sizeof(x)), "server address changed");
	len = sizeof(x);
	zdtm_check(getpeername(s, (void *)&x, &len) == 0 && !memcmp(&x, &speer, sizeof(x)), "server's peer changed");
	zdtm_check(events(c) == cev, "client poll events %#x, were %#x", events(c), cev);
	zdtm_check(events(s) == sev, "server poll events %#x, were %#x", events(s), sev);

	memset(buf, 0, sizeof(buf));
	zdtm_check(read_full(s, buf, C2S + 1, 5000, &eof) == C2S && zdtm_verify(buf, C2S, 2011) < 0 && eof,
		   "the server did not get the %d bytes followed by EOF", C2S);
	zdtm_check(recv(s, &b, 1, MSG_DONTWAIT) == 0, "the server's second read is not EOF");
	zdtm_check(send(c, "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "the client could still send (%m)");
	zdtm_fill(buf, S2C + MORE, 2012);
	zdtm_check(send(s, buf + S2C, MORE, MSG_NOSIGNAL) == MORE, "the server cannot send: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(read_full(c, buf, S2C + MORE, 5000, &eof) == S2C + MORE && zdtm_verify(buf, S2C + MORE, 2012) < 0,
		   "the client did not get the %d + %d bytes in order", S2C, MORE);
	zdtm_check(recv(c, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "the client got more data or an early EOF");
	zdtm_check(shutdown(s, SHUT_WR) == 0, "server shutdown: %m");
	zdtm_check(read_full(c, buf, 1, 5000, &eof) == 0 && eof, "the client did not see EOF");
	zdtm_finish();
}
