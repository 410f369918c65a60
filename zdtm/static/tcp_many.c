/*
 * tcp_many: 100 established TCP connections over loopback in one process, each with its
 * own data queued both ways (dumped with --tcp-established).
 *
 * State: 100 clients connected to a listener on 127.0.0.1:20231 and their 100 accepted
 * ends (the listener is then closed). Pair i: the client wrote 100 + 37 i bytes (pattern
 * 10000 + i) and the server 50 + 53 i bytes (pattern 20000 + i), none read. Each client's
 * local port is recorded, as is which server fd it belongs to.
 * Check after SIGTERM, for every pair: both ESTABLISHED; the client's local address is the
 * recorded one and its peer 127.0.0.1:20231; the server's peer is its own client (so no
 * two connections got swapped); each end reads exactly its bytes with the right pattern,
 * then nothing; then 16 more bytes each way (patterns continued) arrive.
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

#define PORT 20231
#define N 100
#define C2S(i) (100 + 37 * (i))
#define S2C(i) (50 + 53 * (i))
#define MORE 16

static int c[N], s[N];
static struct sockaddr_in cself[N];

static int state_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

/* Reads len bytes and checks them against the pattern at offset off: 1 if all right. */
static int read_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t buf[8192];
	size_t got = 0;
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		if (poll(&p, 1, 5000) != 1)
			return 0;
		n = recv(fd, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			return 0;
		got += n;
	}
	return zdtm_verify_at(buf, len, seed, off) < 0;
}

static int send_pattern(int fd, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t buf[8192];
	zdtm_fill_at(buf, len, seed, off);
	return send(fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len;
}

static int nothing_more(int fd)
{
	char b;
	return recv(fd, &b, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, x;
	int l, i, one = 1, bad;
	socklen_t len;

	zdtm_init(argc, argv);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 4))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	for (i = 0; i < N; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i] < 0 || connect(c[i], (void *)&a, sizeof(a)))
			zdtm_fail("connect %d: %m", i);
		len = sizeof(x);
		s[i] = accept(l, (void *)&x, &len);
		if (s[i] < 0)
			zdtm_fail("accept %d: %m", i);
		len = sizeof(cself[i]);
		getsockname(c[i], (void *)&cself[i], &len);
		if (x.sin_port != cself[i].sin_port)
			zdtm_fail("accepted connection %d is not the last client's", i);
		if (!send_pattern(c[i], C2S(i), 10000 + i, 0) || !send_pattern(s[i], S2C(i), 20000 + i, 0))
			zdtm_fail("send on pair %d: %m", i);
	}
	close(l);
	for (i = 0; i < N; i++) {
		int k, q = -1;
		for (k = 0; k < 200 && q != C2S(i); k++) {
			ioctl(s[i], FIONREAD, &q);
			if (q != C2S(i))
				zdtm_sleep_ms(5);
		}
		if (q != C2S(i))
			zdtm_fail("pair %d: %d bytes at the server, expected %d", i, q, C2S(i));
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0, bad = 0; i < N && bad < 10; i++) {
		int ok = 1;
		ok &= zdtm_check(state_of(c[i]) == TCP_ESTABLISHED && state_of(s[i]) == TCP_ESTABLISHED,
				 "pair %d: states %d/%d", i, state_of(c[i]), state_of(s[i]));
		len = sizeof(x);
		ok &= zdtm_check(getsockname(c[i], (void *)&x, &len) == 0 && !memcmp(&x, &cself[i], sizeof(x)),
				 "pair %d: client address changed", i);
		len = sizeof(x);
		ok &= zdtm_check(getpeername(c[i], (void *)&x, &len) == 0 && !memcmp(&x, &a, sizeof(x)),
				 "pair %d: client's peer is not 127.0.0.1:%d", i, PORT);
		len = sizeof(x);
		ok &= zdtm_check(getpeername(s[i], (void *)&x, &len) == 0 && !memcmp(&x, &cself[i], sizeof(x)),
				 "pair %d: server's peer is port %d, its client is %d", i, ntohs(x.sin_port),
				 ntohs(cself[i].sin_port));
		ok &= zdtm_check(read_pattern(s[i], C2S(i), 10000 + i, 0) && nothing_more(s[i]),
				 "pair %d: the server's %d queued bytes differ", i, C2S(i));
		ok &= zdtm_check(read_pattern(c[i], S2C(i), 20000 + i, 0) && nothing_more(c[i]),
				 "pair %d: the client's %d queued bytes differ", i, S2C(i));
		ok &= zdtm_check(send_pattern(c[i], MORE, 10000 + i, C2S(i)) && send_pattern(s[i], MORE, 20000 + i, S2C(i)),
				 "pair %d: cannot send after restore: %m", i);
		ok &= zdtm_check(read_pattern(s[i], MORE, 10000 + i, C2S(i)) && read_pattern(c[i], MORE, 20000 + i, S2C(i)),
				 "pair %d: the new bytes differ", i);
		bad += !ok;
	}
	zdtm_finish();
}
