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
#include "inet_util.h"

#define PORT 20241
#define K2P 1500
#define P2K 2500
#define MORE 1000

static struct sockaddr_in server;

static void child(int l, int wfd) __attribute__((noreturn));
static void child(int l, int wfd)
{
	union it_addr self;
	int c;

	close(l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (void *)&server, sizeof(server)) || !it_send_pattern(c, K2P, 2411, 0))
		_exit(3);
	self = it_sockname(c);
	if (self.sa.sa_family != AF_INET || write(wfd, &self, sizeof(self)) != sizeof(self))
		_exit(3);
	close(wfd);
	zdtm_wait_for_term();

	zdtm_check(it_tcp_state(c) == TCP_ESTABLISHED, "child: state %d, expected ESTABLISHED", it_tcp_state(c));
	it_check_names("child", c, &self, &server);
	zdtm_check(it_read_pattern(c, P2K + MORE, 2412, 0) && ut_empty(c), "child: the %d + %d bytes from the parent differ",
		   P2K, MORE);
	zdtm_check(it_send_pattern(c, MORE, 2411, K2P), "child: cannot send after restore: %m");
	_exit(zdtm_failures() ? 1 : 42);
}

int main(int argc, char **argv)
{
	union it_addr kaddr, x;
	int l, s, c2, s2, p[2], st = 0, q, i;
	pid_t k;
	socklen_t len;

	zdtm_init(argc, argv);
	server = it_lo4(PORT);
	l = it_tcp_listen(&server, 4, 0);
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
	if (!it_readable(p[0], 10000) || read(p[0], &kaddr, sizeof(kaddr)) != sizeof(kaddr))
		zdtm_fail("the child did not report");
	close(p[0]);
	len = sizeof(x);
	s = accept(l, &x.sa, &len);
	if (s < 0 || !it_addr_eq(&x, &kaddr))
		zdtm_fail("accept: %m (or not the child's connection)");
	if (!it_send_pattern(s, P2K, 2412, 0))
		zdtm_fail("send: %m");
	q = it_wait_inq(s, K2P, 1000);
	if (q != K2P)
		zdtm_fail("%d bytes from the child, expected %d", q, K2P);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(waitpid(k, &st, WNOHANG) == 0, "the child %d is not a live child (status %#x)", k, st);
	it_check_names("the listener", l, &server, NULL);
	zdtm_check(it_tcp_state(l) == TCP_LISTEN, "the listener's state is %d", it_tcp_state(l));
	zdtm_check(it_tcp_state(s) == TCP_ESTABLISHED, "parent's end: state %d", it_tcp_state(s));
	it_check_names("parent's end", s, &server, &kaddr);
	zdtm_check(it_read_pattern(s, K2P, 2411, 0) && ut_empty(s), "the child's %d queued bytes differ", K2P);
	zdtm_check(it_send_pattern(s, MORE, 2412, P2K), "parent cannot send after restore: %m");
	kill(k, SIGTERM);
	zdtm_check(it_read_pattern(s, MORE, 2411, K2P), "the child's new bytes differ or are missing");
	for (i = 0; i < 1000 && waitpid(k, &st, WNOHANG) == 0; i++)
		zdtm_sleep_ms(10);
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 42, "the child ended with status %#x, expected exit 42", st);
	{
		char b;
		zdtm_check(it_readable(s, 5000) && recv(s, &b, 1, MSG_DONTWAIT) == 0,
			   "no EOF after the child's last bytes (more data, or none)");
	}

	c2 = socket(AF_INET, SOCK_STREAM, 0);
	if (zdtm_check(c2 >= 0 && connect(c2, (void *)&server, sizeof(server)) == 0,
		       "a fresh connection to the listener fails: %m")) {
		s2 = accept(l, NULL, NULL);
		zdtm_check(s2 >= 0 && it_send_pattern(c2, 100, 2413, 0) && it_read_pattern(s2, 100, 2413, 0),
			   "no data over the fresh connection");
	}
	zdtm_finish();
}
