/*
 * tcp_tree: a TCP connection between two processes of the dumped tree: the parent holds
 * the listener and the accepted end, a forked child the connected client (dumped with
 * --tcp-established).
 *
 * State: the parent P listens on 127.0.0.1:20241 (kept listening) and forks child K, which
 * connects, writes 1500 bytes (pattern 2411) and reports its local port through a pipe
 * (closed before ready). P accepts and writes 2500 bytes (pattern 2412). Nothing is read.
 * Check after SIGTERM: K is still P's live child; the listener is bound to
 * 127.0.0.1:20241 and listening; P's end is ESTABLISHED, its peer is K's reported port; P
 * reads exactly the 1500 bytes, sends 1000 more (pattern 2412 continued) and forwards
 * SIGTERM to K. K checks its socket (ESTABLISHED, local port as reported, peer
 * 127.0.0.1:20241), reads exactly 2500 + 1000 bytes in order, sends 1000 more (pattern 2411
 * continued) and exits 42 if all held. P reads those 1000 bytes, and a fresh connection
 * to the restored listener works; K must exit 42, after which P reads EOF.
 */
#include "zdtm.h"
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT 20241
#define K2P 1500
#define P2K 2500
#define MORE 1000

static int state_of(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1;
	return ti.tcpi_state;
}

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

static const struct sockaddr_in *server_addr(void)
{
	static struct sockaddr_in a;
	a.sin_family = AF_INET;
	a.sin_port = htons(PORT);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return &a;
}

static void child(int l, int wfd) __attribute__((noreturn));
static void child(int l, int wfd)
{
	struct sockaddr_in self, x;
	socklen_t len = sizeof(self);
	int c;

	close(l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (const void *)server_addr(), sizeof(struct sockaddr_in)) ||
	    !send_pattern(c, K2P, 2411, 0) || getsockname(c, (void *)&self, &len) ||
	    write(wfd, &self, sizeof(self)) != sizeof(self))
		_exit(3);
	close(wfd);
	zdtm_wait_for_term();

	zdtm_check(state_of(c) == TCP_ESTABLISHED, "child: state %d, expected ESTABLISHED", state_of(c));
	len = sizeof(x);
	zdtm_check(getsockname(c, (void *)&x, &len) == 0 && !memcmp(&x, &self, sizeof(x)), "child: local address changed");
	len = sizeof(x);
	zdtm_check(getpeername(c, (void *)&x, &len) == 0 && !memcmp(&x, server_addr(), sizeof(x)),
		   "child: peer is not 127.0.0.1:%d", PORT);
	zdtm_check(read_pattern(c, P2K + MORE, 2412, 0) && nothing_more(c), "child: the %d + %d bytes from the parent differ",
		   P2K, MORE);
	zdtm_check(send_pattern(c, MORE, 2411, K2P), "child: cannot send after restore: %m");
	_exit(zdtm_failures() ? 1 : 42);
}

int main(int argc, char **argv)
{
	struct sockaddr_in kaddr, x;
	int l, s, c2, s2, one = 1, p[2], st = 0, q = -1, i;
	pid_t k;
	socklen_t len;
	struct pollfd pf;

	zdtm_init(argc, argv);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (const void *)server_addr(), sizeof(struct sockaddr_in)) || listen(l, 4))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	k = fork();
	if (k < 0)
		zdtm_fail("fork: %m");
	if (k == 0) {
		close(p[0]);
		child(l, p[1]);
	}
	close(p[1]);
	pf.fd = p[0];
	pf.events = POLLIN;
	if (poll(&pf, 1, 10000) != 1 || read(p[0], &kaddr, sizeof(kaddr)) != sizeof(kaddr))
		zdtm_fail("the child did not report");
	close(p[0]);
	len = sizeof(x);
	s = accept(l, (void *)&x, &len);
	if (s < 0 || x.sin_port != kaddr.sin_port)
		zdtm_fail("accept: %m (or not the child's connection)");
	if (!send_pattern(s, P2K, 2412, 0))
		zdtm_fail("send: %m");
	for (i = 0; i < 200 && q != K2P; i++) {
		ioctl(s, FIONREAD, &q);
		if (q != K2P)
			zdtm_sleep_ms(5);
	}
	if (q != K2P)
		zdtm_fail("%d bytes from the child, expected %d", q, K2P);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(waitpid(k, &st, WNOHANG) == 0, "the child %d is not a live child (status %#x)", k, st);
	len = sizeof(x);
	zdtm_check(getsockname(l, (void *)&x, &len) == 0 && !memcmp(&x, server_addr(), sizeof(x)),
		   "the listener is not on 127.0.0.1:%d", PORT);
	zdtm_check(state_of(l) == TCP_LISTEN, "the listener's state is %d", state_of(l));
	zdtm_check(state_of(s) == TCP_ESTABLISHED, "parent's end: state %d", state_of(s));
	len = sizeof(x);
	zdtm_check(getsockname(s, (void *)&x, &len) == 0 && !memcmp(&x, server_addr(), sizeof(x)),
		   "parent's end: local address changed");
	len = sizeof(x);
	zdtm_check(getpeername(s, (void *)&x, &len) == 0 && !memcmp(&x, &kaddr, sizeof(x)),
		   "parent's end: peer port %d, the child's is %d", ntohs(x.sin_port), ntohs(kaddr.sin_port));
	zdtm_check(read_pattern(s, K2P, 2411, 0) && nothing_more(s), "the child's %d queued bytes differ", K2P);
	zdtm_check(send_pattern(s, MORE, 2412, P2K), "parent cannot send after restore: %m");
	kill(k, SIGTERM);
	zdtm_check(read_pattern(s, MORE, 2411, K2P), "the child's new bytes differ or are missing");
	for (i = 0; i < 1000 && waitpid(k, &st, WNOHANG) == 0; i++)
		zdtm_sleep_ms(10);
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "the child ended with status %#x, expected exit 42", st);
	{
		char b;
		struct pollfd e = { s, POLLIN, 0 };
		zdtm_check(poll(&e, 1, 5000) == 1 && recv(s, &b, 1, MSG_DONTWAIT) == 0,
			   "no EOF after the child's last bytes (more data, or none)");
	}

	c2 = socket(AF_INET, SOCK_STREAM, 0);
	if (zdtm_check(c2 >= 0 && connect(c2, (const void *)server_addr(), sizeof(struct sockaddr_in)) == 0,
		       "a fresh connection to the listener fails: %m")) {
		s2 = accept(l, NULL, NULL);
		zdtm_check(s2 >= 0 && send_pattern(c2, 100, 2413, 0) && read_pattern(s2, 100, 2413, 0),
			   "no data over the fresh connection");
	}
	zdtm_finish();
}
