/*
 * transition_unix_dgram: unix datagram and seqpacket socketpairs carrying numbered messages
 * between the root and a child the whole time the tree is dumped.
 *
 * State: the child sends datagrams on a SOCK_DGRAM pair, message n of 8 to 3000 bytes (its
 * length a function of n) holding n and a pattern seeded by n, blocking when the receive queue
 * is full; the root sends messages the same way the other way on a SOCK_SEQPACKET pair. Each
 * side reads the other's, so both queues hold many messages of different sizes when dumped
 * and a sender is often blocked in sendmsg.
 * Check: every message arrives once, in order, with its exact length (recv with MSG_TRUNC
 * tells the real size), number and contents (message boundaries kept); after SIGTERM the root
 * stops sending and sends an end message with its count; the child reads up to it, checks the
 * count, stops sending and answers with an end message of how many it sent, received and found
 * wrong, and exits 0; the root reads up to that: the counts must equal its own, nothing wrong;
 * both directions moved after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXLEN 3000
#define END_MAGIC 0x656e646d65737361ULL

static size_t len_of(uint64_t n, uint64_t salt)
{
	return 8 + zdtm_mix64(n ^ salt) % (MAXLEN - 8 + 1);
}

static void build(uint8_t *buf, uint64_t n, uint64_t salt)
{
	size_t len = len_of(n, salt);
	memcpy(buf, &n, 8);
	zdtm_fill_at(buf + 8, len - 8, n ^ salt, 8);
}

/* 1 if buf/len is message n. */
static int is_msg(const uint8_t *buf, ssize_t len, uint64_t n, uint64_t salt)
{
	uint64_t got;
	if (len != (ssize_t)len_of(n, salt))
		return 0;
	memcpy(&got, buf, 8);
	return got == n && zdtm_verify_at(buf + 8, len - 8, n ^ salt, 8) < 0;
}

struct end { uint64_t magic, sent, received, wrong; };

int main(int argc, char **argv)
{
	int dg[2], sp[2], st;
	pid_t child;
	uint8_t buf[MAXLEN + 64], out[MAXLEN];
	uint64_t next_in = 0, next_out = 0, wrong = 0, in_at_ready = 0, out_at_ready = 0;
	int pending = 0, phase = 0;	/* pending: message next_out built, not sent yet */
	struct end e = { 0 };

	zdtm_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp))
		zdtm_fail("socketpair: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		/* Sends on dg[1], receives on sp[1] up to the root's end message. */
		uint64_t cin = 0, cout = 0, cwrong = 0;
		int stop = 0;
		close(dg[0]);
		close(sp[0]);
		while (!stop) {
			struct pollfd p[2] = { { dg[1], POLLOUT, 0 }, { sp[1], POLLIN, 0 } };
			if (poll(p, 2, -1) < 0 && errno != EINTR)
				_exit(10);
			if (p[1].revents & POLLIN) {
				ssize_t r = recv(sp[1], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
				if (r == sizeof(struct end) && !memcmp(buf, &(uint64_t){ END_MAGIC }, 8)) {
					stop = 1;
					memcpy(&e, buf, sizeof(e));
					if (e.sent != cin)
						cwrong++;
					continue;
				}
				if (r > 0) {
					if (!is_msg(buf, r, cin, 0x5a5a))
						cwrong++;
					cin++;
				} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
					_exit(11);
				}
			}
			if (p[0].revents & POLLOUT) {
				build(out, cout, 0xa5a5);
				ssize_t w = send(dg[1], out, len_of(cout, 0xa5a5), MSG_DONTWAIT);
				if (w == (ssize_t)len_of(cout, 0xa5a5))
					cout++;
				else if (w >= 0 || (errno != EAGAIN && errno != EINTR))
					_exit(12);
			}
		}
		struct end ce = { END_MAGIC, cout, cin, cwrong };
		while (send(dg[1], &ce, sizeof(ce), 0) != sizeof(ce))
			if (errno != EINTR)
				_exit(13);
		_exit(0);
	}
	close(dg[1]);
	close(sp[1]);
	for (;;) {
		if (phase == 0 && next_in > 20000 && next_out > 20000) {
			in_at_ready = next_in;
			out_at_ready = next_out;
			zdtm_ready();
			phase = 1;
		}
		if (phase == 1 && zdtm_term_requested()) {
			/* Stop sending: the end message (the one built but not sent does not count). */
			struct end re = { END_MAGIC, next_out, next_in, wrong };
			for (;;) {
				ssize_t w = send(sp[0], &re, sizeof(re), MSG_DONTWAIT | MSG_NOSIGNAL);
				if (w == sizeof(re))
					break;
				if (w >= 0 || (errno != EAGAIN && errno != EINTR))
					zdtm_fail("send end: %m");
				/* The child drains it while we drain the datagrams. */
				ssize_t r = recv(dg[0], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
				if (r > 0) {
					if (!is_msg(buf, r, next_in, 0xa5a5) && wrong++ < 5)
						zdtm_log("message %llu: %zd bytes", (unsigned long long)next_in, r);
					next_in++;
				} else {
					usleep(1000);
				}
			}
			phase = 2;
		}
		struct pollfd p[2] = { { dg[0], POLLIN, 0 }, { sp[0], phase < 2 ? POLLOUT : 0, 0 } };
		if (poll(p, 2, 1000) < 0 && errno != EINTR)
			zdtm_fail("poll: %m");
		if (p[0].revents & POLLIN) {
			ssize_t r = recv(dg[0], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				zdtm_fail("recv: %m");
			if (r == sizeof(e) && !memcmp(buf, &(uint64_t){ END_MAGIC }, 8)) {
				memcpy(&e, buf, sizeof(e));
				break;
			}
			if (r >= 0) {
				if (!is_msg(buf, r, next_in, 0xa5a5)) {
					uint64_t got = 0;
					memcpy(&got, buf, r >= 8 ? 8 : 0);
					if (wrong++ < 5)
						zdtm_log("message %llu: %zd bytes, number %llu", (unsigned long long)next_in, r,
							 (unsigned long long)got);
					if (r >= 8)
						next_in = got;
				}
				next_in++;
			}
		}
		if (phase < 2 && p[1].revents & POLLOUT) {
			if (!pending) {
				build(out, next_out, 0x5a5a);
				pending = 1;
			}
			ssize_t w = send(sp[0], out, len_of(next_out, 0x5a5a), MSG_DONTWAIT | MSG_NOSIGNAL);
			if (w == (ssize_t)len_of(next_out, 0x5a5a)) {
				next_out++;
				pending = 0;
			} else if (w >= 0 || (errno != EAGAIN && errno != EINTR)) {
				zdtm_fail("send: %zd %m", w);
			}
		}
	}
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_log("received %llu (%llu at ready), sent %llu (%llu at ready); the child sent %llu, received %llu",
		 (unsigned long long)next_in, (unsigned long long)in_at_ready, (unsigned long long)next_out,
		 (unsigned long long)out_at_ready, (unsigned long long)e.sent, (unsigned long long)e.received);
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended %#x", st);
	zdtm_check(wrong == 0, "%llu wrong datagrams", (unsigned long long)wrong);
	zdtm_check(e.sent == next_in, "the child sent %llu datagrams, %llu arrived", (unsigned long long)e.sent,
		   (unsigned long long)next_in);
	zdtm_check(e.wrong == 0, "the child got %llu wrong seqpackets", (unsigned long long)e.wrong);
	zdtm_check(e.received == next_out, "the child received %llu seqpackets, %llu were sent",
		   (unsigned long long)e.received, (unsigned long long)next_out);
	zdtm_check(next_in > in_at_ready && next_out > out_at_ready, "nothing moved after zdtm_ready");
	zdtm_finish();
}
