/*
 * tcp_ext_peer_streaming: an established TCP connection to a peer process outside the
 * dumped tree that keeps sending while the test is checkpointed (dumped with
 * --tcp-established), so that the peer's data has to be retransmitted.
 *
 * State: the test listens on 127.0.0.1:20191 and double-forks the peer (the middle process
 * exits and is reaped, so the peer is reparented away; it also calls setsid()). The peer
 * connects, the test accepts and closes the listener. Both sides stream 16-byte records
 * {seq, value(seq)} with seq counting from 0 and a different value function per
 * direction: the peer 16 records every 5 ms, the test 4 every 20 ms. The test reads and
 * checks the peer's stream all the time while it waits (it polls for SIGTERM); the peer
 * checks the test's stream. The peer never stops sending while the test is frozen or gone.
 * Check after SIGTERM: the peer is alive; the connection is ESTABLISHED with the recorded
 * addresses; every record received so far, and until the end, is the next one in order
 * with the right value (nothing lost, repeated or reordered). The test sends a STOP record
 * carrying the number of records it sent; the peer stops its stream and appends
 * {STOP, records it sent}, {records it found bad, records it received},
 * {its tcpi_total_retrans, 0}: what the peer sent must equal what the test received, what
 * it received what the test sent, nothing bad; its result file says the same and that it
 * saw no EOF or error. The peer is killed at the end.
 */
#include "inet_util.h"

#define PORT 20191
#define STOP (~0ULL)

struct rec {
	uint64_t seq, val;
};

static uint64_t val_p2t(uint64_t k) { return zdtm_mix64(3 * k + 1911); }
static uint64_t val_t2p(uint64_t k) { return zdtm_mix64(5 * k + 1912); }

/* A byte stream cut into records: feed() bytes, get whole records. */
struct reader {
	uint8_t part[sizeof(struct rec)];
	size_t have;
};

/* A queue of bytes to send; send_some() moves what the socket takes. */
struct writer {
	uint8_t buf[1 << 16];
	size_t head, tail;
};

static int queue_rec(struct writer *w, uint64_t seq, uint64_t val)
{
	struct rec r = { seq, val };
	if (w->head == w->tail)
		w->head = w->tail = 0;
	if (sizeof(w->buf) - w->tail < sizeof(r)) {
		memmove(w->buf, w->buf + w->head, w->tail - w->head);
		w->tail -= w->head;
		w->head = 0;
		if (sizeof(w->buf) - w->tail < sizeof(r))
			return -1;
	}
	memcpy(w->buf + w->tail, &r, sizeof(r));
	w->tail += sizeof(r);
	return 0;
}

/* -1 on a hard error. */
static int send_some(int fd, struct writer *w)
{
	while (w->head < w->tail) {
		ssize_t n = send(fd, w->buf + w->head, w->tail - w->head, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		w->head += n;
	}
	return 0;
}

/* Reads what is there; calls fn for each whole record. 1: data, 0: nothing, -1: EOF/error. */
static int recv_some(int fd, struct reader *rd, void (*fn)(const struct rec *))
{
	static uint8_t buf[1 << 16];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	size_t i = 0;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	while (i < (size_t)n) {
		size_t take = sizeof(rd->part) - rd->have;
		if (take > (size_t)n - i)
			take = n - i;
		memcpy(rd->part + rd->have, buf + i, take);
		rd->have += take;
		i += take;
		if (rd->have == sizeof(rd->part)) {
			struct rec r;
			memcpy(&r, rd->part, sizeof(r));
			rd->have = 0;
			fn(&r);
		}
	}
	return 1;
}

static uint64_t now_ms(void)
{
	return zdtm_now_ns() / 1000000;
}

/* ---- the peer ---- */

static struct {
	uint64_t sent, recvd, bad, test_total;
	int stopped;
} P;

static void peer_got(const struct rec *r)
{
	if (P.stopped) {
		P.bad++;
		return;
	}
	if (r->seq == STOP) {
		P.stopped = 1;
		P.test_total = r->val;
		if (r->val != P.recvd)
			P.bad++;
		return;
	}
	if (r->seq != P.recvd || r->val != val_t2p(r->seq))
		P.bad++;
	P.recvd++;
}

/* Queues a record, first letting the socket take some bytes if there is no room. */
static void queue_wait(int fd, struct writer *w, uint64_t seq, uint64_t val)
{
	while (queue_rec(w, seq, val)) {
		if (send_some(fd, w) < 0)
			return;
		poll(NULL, 0, 1);
	}
}

static void peer(void *arg, int report) __attribute__((noreturn));
static void peer(void *arg, int report)
{
	const char *result = arg;
	static struct writer w;
	static struct reader rd;
	struct sockaddr_in a = it_lo4(PORT);
	uint64_t last = 0;
	int fd = it_peer_begin(&a, result, report), final_queued = 0;
	char text[160];

	for (;;) {
		struct pollfd p = { fd, POLLIN | (w.head < w.tail ? POLLOUT : 0), 0 };
		int r;
		poll(&p, 1, 2);
		r = recv_some(fd, &rd, peer_got);
		if (r < 0) {
			snprintf(text, sizeof(text), "EOF or error after %llu records received, %llu sent (%s)\n",
				 (unsigned long long)P.recvd, (unsigned long long)P.sent, strerror(errno));
			it_peer_result(result, text);
			_exit(1);
		}
		if (!P.stopped && now_ms() - last >= 5) {
			int i;
			last = now_ms();
			for (i = 0; i < 16 && queue_rec(&w, P.sent, val_p2t(P.sent)) == 0; i++)
				P.sent++;
		}
		if (P.stopped && !final_queued) {
			struct tcp_info ti;
			socklen_t len = sizeof(ti);
			memset(&ti, 0, sizeof(ti));
			getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
			queue_wait(fd, &w, STOP, P.sent);
			queue_wait(fd, &w, P.bad, P.recvd);
			queue_wait(fd, &w, ti.tcpi_total_retrans, 0);
			final_queued = 1;
			snprintf(text, sizeof(text), "sent=%llu received=%llu bad=%llu\n", (unsigned long long)P.sent,
				 (unsigned long long)P.recvd, (unsigned long long)P.bad);
			it_peer_result(result, text);
		}
		if (send_some(fd, &w) < 0) {
			snprintf(text, sizeof(text), "send error after %llu records sent (%s)\n",
				 (unsigned long long)P.sent, strerror(errno));
			it_peer_result(result, text);
			_exit(1);
		}
	}
}

/* ---- the test ---- */

static struct {
	uint64_t recvd, bad, first_bad;
	int stop_seen, tail;	/* STOP record seen; records after it */
	struct rec after[2];
	uint64_t peer_sent;
} T;

static void test_got(const struct rec *r)
{
	if (T.stop_seen) {
		if (T.tail < 2)
			T.after[T.tail] = *r;
		T.tail++;
		return;
	}
	if (r->seq == STOP) {
		T.stop_seen = 1;
		T.peer_sent = r->val;
		return;
	}
	if (r->seq != T.recvd || r->val != val_p2t(r->seq)) {
		if (!T.bad++)
			T.first_bad = T.recvd;
	}
	T.recvd++;
}

/* One round of the test's side: poll up to ms, take in the peer's records, add 4 own records
 * every 20 ms while streaming, send what the socket takes. -1 on EOF or error. */
static int pump(int s, struct writer *w, struct reader *rd, uint64_t *sent, uint64_t *last, int streaming, int ms)
{
	struct pollfd q = { s, POLLIN | (w->head < w->tail ? POLLOUT : 0), 0 };
	int i;
	poll(&q, 1, ms);
	if (recv_some(s, rd, test_got) < 0)
		return -1;
	if (streaming && now_ms() - *last >= 20) {
		*last = now_ms();
		for (i = 0; i < 4 && queue_rec(w, *sent, val_t2p(*sent)) == 0; i++)
			(*sent)++;
	}
	return send_some(s, w);
}

int main(int argc, char **argv)
{
	static struct writer w;
	static struct reader rd;
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr self, peeraddr;
	const char *result = zdtm_tmp_path("peer");
	uint64_t sent = 0, last = 0, at_ready, deadline;
	int s, broken = 0;
	pid_t pp;
	char text[160], want[160];

	zdtm_init(argc, argv);
	unlink(result);
	s = it_accept_outside(&a, peer, (void *)result, &pp);
	self = it_sockname(s);
	peeraddr = it_peername(s);

	/* Stream until the peer's data visibly flows, then keep streaming while waiting. */
	deadline = now_ms() + 10000;
	while (T.recvd < 200 && now_ms() < deadline)
		if (pump(s, &w, &rd, &sent, &last, 1, 10) < 0)
			zdtm_fail("the connection broke before the checkpoint");
	if (T.recvd < 200 || T.bad)
		zdtm_fail("before the checkpoint: %llu records received, %llu bad", (unsigned long long)T.recvd,
			  (unsigned long long)T.bad);
	at_ready = T.recvd;
	zdtm_log("peer pid %d, peer port %d", pp, it_port(&peeraddr));

	zdtm_ready();
	while (!zdtm_term_requested())
		if (pump(s, &w, &rd, &sent, &last, 1, 20) < 0) {
			broken = 1;
			break;
		}
	zdtm_wait_for_term();

	zdtm_check(!broken, "the connection broke while waiting (%m)");
	it_check_peer_alive(pp);
	zdtm_check(it_tcp_state(s) == TCP_ESTABLISHED, "tcpi_state %d, expected ESTABLISHED", it_tcp_state(s));
	it_check_names("the connection", s, &self, &peeraddr);
	zdtm_log("%llu records received before ready, %llu by SIGTERM", (unsigned long long)at_ready,
		 (unsigned long long)T.recvd);

	/* Stop: flush our stream, send STOP, read the peer's stream up to its summary. */
	deadline = now_ms() + 10000;
	while (!broken && w.head < w.tail && now_ms() < deadline)
		broken = pump(s, &w, &rd, &sent, &last, 0, 10) < 0;
	if (!broken && queue_rec(&w, STOP, sent) == 0)
		while (!broken && T.tail < 2 && now_ms() < deadline)
			broken = pump(s, &w, &rd, &sent, &last, 0, 10) < 0;
	zdtm_check(!broken, "the connection broke after restore (%m)");
	zdtm_check(T.bad == 0, "%llu records from the peer out of order or wrong, the first at %llu",
		   (unsigned long long)T.bad, (unsigned long long)T.first_bad);
	if (zdtm_check(T.stop_seen && T.tail >= 2, "no summary from the peer (received %llu records)",
		       (unsigned long long)T.recvd)) {
		zdtm_check(T.peer_sent == T.recvd, "the peer sent %llu records, %llu arrived",
			   (unsigned long long)T.peer_sent, (unsigned long long)T.recvd);
		zdtm_check(T.after[0].seq == 0 && T.after[0].val == sent,
			   "the peer found %llu bad records and received %llu, the test sent %llu",
			   (unsigned long long)T.after[0].seq, (unsigned long long)T.after[0].val,
			   (unsigned long long)sent);
		zdtm_log("the peer retransmitted %llu segments", (unsigned long long)T.after[1].seq);
	}
	it_read_result(result, text, sizeof(text));
	snprintf(want, sizeof(want), "sent=%llu received=%llu bad=0\n", (unsigned long long)T.recvd,
		 (unsigned long long)sent);
	zdtm_check(!strcmp(text, want), "the peer's result file says: %s", text);
	it_kill_peer(pp);
	close(s);
	zdtm_finish();
}
