/*
 * tcp_ext_peer: an established TCP connection whose other end belongs to a process outside
 * the dumped tree (dumped with --tcp-established).
 *
 * State: the test listens on 127.0.0.1:20181 and double-forks a peer: the middle process
 * exits at once (the test reaps it), so the peer is reparented away and is not part of the
 * test's tree; the peer also calls setsid() so that it holds neither the test's session nor
 * its process group. The peer connects, the test accepts and closes the listener. Then a
 * counter protocol of 24-byte records {seq, value, aux}: the test sends request k with
 * value req(k), the peer checks that k is the next number and the value right, and answers
 * {k, rep(k), 0}. Before the checkpoint: 50 request/answer rounds, then 20 requests sent
 * and their 20 answers left unread in the test's receive queue.
 * Check after SIGTERM: the peer is still alive; the connection is ESTABLISHED with the
 * recorded addresses (local 127.0.0.1:20181); the 20 queued answers are read in order with
 * the right values; 50 more rounds work; a STOP record makes the peer answer with the
 * number of requests it got (120) and of bad ones (0), and write the same summary to a
 * result file, which says it never saw EOF or an error. The peer is killed at the end and
 * the test waits until it is gone (or a zombie of whoever adopted it).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT 20181
#define STOP (~0ULL)

struct rec {
	uint64_t seq, val, aux;
};

static uint64_t req(uint64_t k) { return zdtm_mix64(2 * k + 1811); }
static uint64_t rep(uint64_t k) { return zdtm_mix64(2 * k + 1812); }

/* Exactly len bytes within ms; 0 on success, -1 on EOF, error or timeout. */
static int read_all(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;
	while (got < len) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 1)
			return -1;
		n = recv(fd, (char *)buf + got, len - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static int send_rec(int fd, uint64_t seq, uint64_t val, uint64_t aux)
{
	struct rec r = { seq, val, aux };
	return send(fd, &r, sizeof(r), MSG_NOSIGNAL) == sizeof(r) ? 0 : -1;
}

static void peer_result(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0) {
			/* nobody to tell */
		}
		close(fd);
	}
}

/* The peer: answers requests until STOP, then waits for EOF or its end. */
static void peer(const char *result) __attribute__((noreturn));
static void peer(const char *result)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	uint64_t next = 0, bad = 0;
	char text[128];
	int fd, devnull;
	struct rec r;

	signal(SIGTERM, SIG_DFL);
	setsid();
	alarm(600);	/* never outlive a lost test for long */
	devnull = open("/dev/null", O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	syscall(SYS_close_range, 3, ~0U, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&a, sizeof(a))) {
		peer_result(result, "peer could not connect\n");
		_exit(1);
	}
	for (;;) {
		if (read_all(fd, &r, sizeof(r), -1)) {
			snprintf(text, sizeof(text), "EOF or error after %llu requests (%s)\n", (unsigned long long)next,
				 strerror(errno));
			peer_result(result, text);
			_exit(1);
		}
		if (r.seq == STOP)
			break;
		if (r.seq != next || r.val != req(r.seq))
			bad++;
		if (send_rec(fd, r.seq, rep(r.seq), 0)) {
			peer_result(result, "send failed\n");
			_exit(1);
		}
		next = r.seq + 1;
	}
	snprintf(text, sizeof(text), "requests=%llu bad=%llu\n", (unsigned long long)next, (unsigned long long)bad);
	peer_result(result, text);
	send_rec(fd, STOP, next, bad);
	read_all(fd, &r, 1, -1);	/* until EOF */
	_exit(0);
}

/* One state letter from /proc/PID/stat, or 0 when the pid is gone. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : 0;
}

static void kill_peer(pid_t pid)
{
	int i;
	char st;
	kill(pid, SIGKILL);
	for (i = 0; i < 200; i++) {
		st = proc_state(pid);
		if (st == 0 || st == 'Z' || st == 'X')
			return;
		zdtm_sleep_ms(10);
	}
	zdtm_check(0, "the peer %d did not die", pid);
}

static uint64_t rounds(int fd, uint64_t from, int n)
{
	struct rec r;
	uint64_t k;
	for (k = from; k < from + n; k++) {
		if (send_rec(fd, k, req(k), 0) || read_all(fd, &r, sizeof(r), 5000))
			return k - from;
		if (r.seq != k || r.val != rep(k))
			return k - from;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT) }, self, peeraddr, x;
	const char *result = zdtm_tmp_path("peer");
	int l, s, one = 1, p[2], st, inq = -1, i;
	pid_t mid, pp = 0;
	struct tcp_info ti;
	struct rec r;
	socklen_t len;
	char text[128];
	uint64_t k;

	zdtm_init(argc, argv);
	unlink(result);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) || bind(l, (void *)&a, sizeof(a)) ||
	    listen(l, 1))
		zdtm_fail("listen on 127.0.0.1:%d: %m", PORT);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	mid = fork();
	if (mid < 0)
		zdtm_fail("fork: %m");
	if (mid == 0) {
		pid_t g = fork();
		if (g == 0)
			peer(result);
		if (g > 0 && write(p[1], &g, sizeof(g)) != sizeof(g))
			_exit(2);
		_exit(g > 0 ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &pp, sizeof(pp)) != sizeof(pp) || pp <= 0)
		zdtm_fail("no peer pid from the middle process");
	close(p[0]);
	if (waitpid(mid, &st, 0) != mid || !WIFEXITED(st) || WEXITSTATUS(st))
		zdtm_fail("middle process ended with %#x", st);
	{
		struct pollfd q = { l, POLLIN, 0 };
		if (poll(&q, 1, 10000) != 1)
			zdtm_fail("the peer did not connect");
	}
	s = accept(l, NULL, NULL);
	if (s < 0)
		zdtm_fail("accept: %m");
	close(l);
	len = sizeof(self);
	getsockname(s, (void *)&self, &len);
	len = sizeof(peeraddr);
	getpeername(s, (void *)&peeraddr, &len);
	if (rounds(s, 0, 50) != 50)
		zdtm_fail("the first 50 rounds failed");
	for (k = 50; k < 70; k++)
		if (send_rec(s, k, req(k), 0))
			zdtm_fail("send: %m");
	for (i = 0; i < 500 && inq != 20 * (int)sizeof(r); i++) {
		zdtm_sleep_ms(10);
		ioctl(s, FIONREAD, &inq);
	}
	if (inq != 20 * (int)sizeof(r))
		zdtm_fail("%d bytes of answers queued, expected %zu", inq, 20 * sizeof(r));
	zdtm_log("peer pid %d, peer port %d", pp, ntohs(peeraddr.sin_port));

	zdtm_ready();
	zdtm_wait_for_term();

	st = proc_state(pp);
	zdtm_check(st != 0 && st != 'Z' && st != 'X', "the peer %d is gone (state %c)", pp, st ? st : '-');
	len = sizeof(ti);
	zdtm_check(getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 && ti.tcpi_state == TCP_ESTABLISHED,
		   "tcpi_state %d, expected ESTABLISHED", ti.tcpi_state);
	len = sizeof(x);
	zdtm_check(getsockname(s, (void *)&x, &len) == 0 && !memcmp(&x, &self, sizeof(x)) && x.sin_port == htons(PORT),
		   "local address changed");
	len = sizeof(x);
	zdtm_check(getpeername(s, (void *)&x, &len) == 0 && !memcmp(&x, &peeraddr, sizeof(x)), "peer address changed");
	for (k = 50; k < 70; k++) {
		if (!zdtm_check(read_all(s, &r, sizeof(r), 5000) == 0, "queued answer %llu missing",
				(unsigned long long)k))
			break;
		if (!zdtm_check(r.seq == k && r.val == rep(k), "queued answer %llu is {%llu, %#llx}",
				(unsigned long long)k, (unsigned long long)r.seq, (unsigned long long)r.val))
			break;
	}
	k = rounds(s, 70, 50);
	zdtm_check(k == 50, "only %llu of 50 rounds after restore worked", (unsigned long long)k);
	if (zdtm_check(send_rec(s, STOP, 0, 0) == 0 && read_all(s, &r, sizeof(r), 5000) == 0, "no answer to STOP")) {
		zdtm_check(r.seq == STOP && r.val == 120 && r.aux == 0, "the peer counted %llu requests, %llu bad",
			   (unsigned long long)r.val, (unsigned long long)r.aux);
	}
	memset(text, 0, sizeof(text));
	{
		int fd = open(result, O_RDONLY);
		if (fd >= 0) {
			if (read(fd, text, sizeof(text) - 1) < 0)
				text[0] = '\0';
			close(fd);
		}
	}
	zdtm_check(!strcmp(text, "requests=120 bad=0\n"), "the peer's result file says: %s", text);
	kill_peer(pp);
	close(s);
	zdtm_finish();
}
