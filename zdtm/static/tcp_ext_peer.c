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
#include "inet_util.h"

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

/* The peer: answers requests until STOP, then waits for EOF or its end. */
static void peer(void *arg, int report) __attribute__((noreturn));
static void peer(void *arg, int report)
{
	const char *result = arg;
	struct sockaddr_in a = it_lo4(PORT);
	uint64_t next = 0, bad = 0;
	char text[128];
	int fd = it_peer_begin(&a, result, report);
	struct rec r;

	for (;;) {
		if (read_all(fd, &r, sizeof(r), -1)) {
			snprintf(text, sizeof(text), "EOF or error after %llu requests (%s)\n", (unsigned long long)next,
				 strerror(errno));
			it_peer_result(result, text);
			_exit(1);
		}
		if (r.seq == STOP)
			break;
		if (r.seq != next || r.val != req(r.seq))
			bad++;
		if (send_rec(fd, r.seq, rep(r.seq), 0)) {
			it_peer_result(result, "send failed\n");
			_exit(1);
		}
		next = r.seq + 1;
	}
	snprintf(text, sizeof(text), "requests=%llu bad=%llu\n", (unsigned long long)next, (unsigned long long)bad);
	it_peer_result(result, text);
	send_rec(fd, STOP, next, bad);
	read_all(fd, &r, 1, -1);	/* until EOF */
	_exit(0);
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
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr self, peeraddr;
	const char *result = zdtm_tmp_path("peer");
	int s, inq;
	pid_t pp;
	struct rec r;
	char text[128];
	uint64_t k;

	zdtm_init(argc, argv);
	unlink(result);
	s = it_accept_outside(&a, peer, (void *)result, &pp);
	self = it_sockname(s);
	peeraddr = it_peername(s);
	if (rounds(s, 0, 50) != 50)
		zdtm_fail("the first 50 rounds failed");
	for (k = 50; k < 70; k++)
		if (send_rec(s, k, req(k), 0))
			zdtm_fail("send: %m");
	inq = it_wait_inq(s, 20 * sizeof(r), 5000);
	if (inq != 20 * (int)sizeof(r))
		zdtm_fail("%d bytes of answers queued, expected %zu", inq, 20 * sizeof(r));
	zdtm_log("peer pid %d, peer port %d", pp, it_port(&peeraddr));

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_peer_alive(pp);
	zdtm_check(it_tcp_state(s) == TCP_ESTABLISHED, "tcpi_state %d, expected ESTABLISHED", it_tcp_state(s));
	it_check_names("the connection", s, &self, &peeraddr);
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
	it_read_result(result, text, sizeof(text));
	zdtm_check(!strcmp(text, "requests=120 bad=0\n"), "the peer's result file says: %s", text);
	it_kill_peer(pp);
	close(s);
	zdtm_finish();
}
