/*
 * seqstream_util.h: the two-way sequence stream of the transition_*_stream tests, for any
 * connected stream socket (a unix socketpair, a TCP connection): the root and a child each send
 * 64-bit sequence numbers 0, 1, 2... in writes of 1 to 700 numbers (nonblocking, driven by poll)
 * and read the other's, so both directions keep data queued, often full, chunks split at
 * arbitrary bytes. After SIGTERM the root stops sending and shuts its end for writing; the
 * child, on EOF, sends a trailer (magic, how many numbers it received, how many were wrong, how
 * many it sent) and closes. ss_root checks it all: gapless sequences both ways, the trailer's
 * counts, EOF, the child's exit 0, movement after zdtm_ready, no 10 s stall.
 * A test sets up the connection, forks, runs ss_child(fd) in the child and ss_root(fd, child)
 * in the root.
 */
#ifndef ZDTM_SEQSTREAM_UTIL_H
#define ZDTM_SEQSTREAM_UTIL_H

#include "zdtm.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRAILER 0xfeedfacecafe0000ULL

struct dir {
	uint64_t next_out, next_in, bad_in;
	uint8_t inbuf[8];
	size_t inhave;		/* bytes of a split number */
	uint64_t outbuf[700];
	size_t outlen, outoff;	/* bytes of outbuf, bytes sent */
};

static void fill_out(struct dir *d, uint64_t salt)
{
	size_t n = 1 + zdtm_mix64(d->next_out ^ salt) % 700;
	for (size_t i = 0; i < n; i++)
		d->outbuf[i] = d->next_out + i;
	d->outlen = n * 8;
	d->outoff = 0;
}

/* Sends what it can; 0 when the whole chunk went, 1 if the socket is full, -1 on error. */
static int send_some(int fd, struct dir *d)
{
	while (d->outoff < d->outlen) {
		ssize_t w = send(fd, (char *)d->outbuf + d->outoff, d->outlen - d->outoff, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 1;
		if (w <= 0)
			return -1;
		d->outoff += w;
	}
	d->next_out += d->outlen / 8;
	return 0;
}

/* Takes the numbers in buf; a trailer word (when trailer != NULL) ends the sequence. */
static void take(struct dir *d, const uint8_t *buf, size_t len, uint64_t *trailer, size_t *ntrailer)
{
	while (len) {
		size_t k = 8 - d->inhave < len ? 8 - d->inhave : len;
		memcpy(d->inbuf + d->inhave, buf, k);
		d->inhave += k;
		buf += k;
		len -= k;
		if (d->inhave < 8)
			break;
		d->inhave = 0;
		uint64_t v;
		memcpy(&v, d->inbuf, 8);
		if (trailer && (*ntrailer || v == TRAILER)) {
			if (*ntrailer < 4)
				trailer[*ntrailer] = v;
			(*ntrailer)++;
			continue;
		}
		if (v != d->next_in) {
			if (d->bad_in++ < 5)
				zdtm_log("read %llu, expected %llu", (unsigned long long)v, (unsigned long long)d->next_in);
			d->next_in = v;
		}
		d->next_in++;
	}
}

/* The child's side: never returns (exit 0 once its trailer is sent, 10-14 on errors). */
static void ss_child(int fd)
{
	struct dir d;
	uint8_t buf[8192];
	int eof = 0;
	memset(&d, 0, sizeof(d));
	fill_out(&d, 0x77);
	while (!eof) {
		struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(10);
		}
		if (p.revents & POLLIN || p.revents & POLLHUP) {
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r == 0)
				eof = 1;
			else if (r > 0)
				take(&d, buf, r, NULL, NULL);
			else if (errno != EAGAIN && errno != EINTR)
				_exit(11);
		}
		if (!eof && p.revents & POLLOUT) {
			int s = send_some(fd, &d);
			if (s < 0)
				_exit(12);
			if (s == 0)
				fill_out(&d, 0x77);
		}
	}
	/* Finish the chunk in progress, then the trailer. */
	for (;;) {
		int s = send_some(fd, &d);
		if (s == 0)
			break;
		if (s < 0)
			_exit(13);
		struct pollfd p = { fd, POLLOUT, 0 };
		poll(&p, 1, 1000);
	}
	uint64_t t[4] = { TRAILER, d.next_in, d.bad_in + (d.inhave != 0), d.next_out };
	memcpy(d.outbuf, t, sizeof(t));
	d.outlen = sizeof(t);
	d.outoff = 0;
	while (d.outoff < d.outlen) {
		ssize_t w = send(fd, (char *)d.outbuf + d.outoff, d.outlen - d.outoff, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(14);
		d.outoff += w;
	}
	close(fd);
	_exit(0);
}

/* The root's side of the stream on fd, with `child` at the other end: the checks, then zdtm_finish. */
static void ss_root(int fd, pid_t child)
{
	int st;
	struct dir d;
	uint8_t buf[8192];
	uint64_t trailer[4] = { 0 }, ntrailer = 0, in_at_ready = 0, out_at_ready = 0;
	size_t nt = 0;
	int phase = 0, eof = 0;

	memset(&d, 0, sizeof(d));
	fill_out(&d, 0x55);
	/* phase 0: before ready; 1: running; 2: finishing our chunk; 3: shut, reading to EOF */
	int idle = 0;	/* poll timeouts in a row */
	while (!eof) {
		/* Ten 1-second poll timeouts in a row (of our running time; a checkpoint is one at most):
		 * the stream is stuck for good. */
		if (idle >= 10) {
			kill(child, SIGKILL);
			waitpid(child, &st, 0);
			zdtm_fail("the stream is stuck: nothing moved for 10 s (phase %d, sent %llu, received %llu)", phase,
				  (unsigned long long)d.next_out, (unsigned long long)d.next_in);
		}
		if (phase == 0 && d.next_in > 100000 && d.next_out > 100000) {
			in_at_ready = d.next_in;
			out_at_ready = d.next_out;
			zdtm_ready();
			phase = 1;
		}
		if (phase == 1 && zdtm_term_requested())
			phase = 2;
		struct pollfd p = { fd, POLLIN | (phase < 3 ? POLLOUT : 0), 0 };
		int pr = poll(&p, 1, 1000);
		if (pr < 0 && errno != EINTR)
			zdtm_fail("poll: %m");
		idle = pr == 0 ? idle + 1 : 0;
		if (p.revents & (POLLIN | POLLHUP)) {
			ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r == 0) {
				if (phase < 3)
					zdtm_fail("EOF from the child before the end");
				eof = 1;
			} else if (r > 0) {
				take(&d, buf, r, trailer, &nt);
			} else if (errno != EAGAIN && errno != EINTR) {
				zdtm_fail("recv: %m");
			}
		}
		if (phase < 3 && p.revents & POLLOUT) {
			int s = send_some(fd, &d);
			if (s < 0)
				zdtm_fail("send: %m");
			if (s == 0) {
				if (phase == 2) {
					shutdown(fd, SHUT_WR);
					phase = 3;
				} else {
					fill_out(&d, 0x55);
				}
			}
		}
	}
	ntrailer = nt;
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_log("sent %llu (%llu at ready), received %llu (%llu at ready); the child received %llu, sent %llu",
		 (unsigned long long)d.next_out, (unsigned long long)out_at_ready, (unsigned long long)d.next_in,
		 (unsigned long long)in_at_ready, (unsigned long long)trailer[1], (unsigned long long)trailer[3]);
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended %#x", st);
	zdtm_check(d.bad_in == 0 && d.inhave == 0, "%llu breaks in the child's sequence", (unsigned long long)d.bad_in);
	zdtm_check(ntrailer == 4 && trailer[0] == TRAILER, "trailer of %llu words", (unsigned long long)ntrailer);
	zdtm_check(trailer[1] == d.next_out, "the child received %llu numbers, %llu were sent",
		   (unsigned long long)trailer[1], (unsigned long long)d.next_out);
	zdtm_check(trailer[2] == 0, "the child found %llu breaks in the root's sequence", (unsigned long long)trailer[2]);
	zdtm_check(trailer[3] == d.next_in, "the child sent %llu numbers, %llu were received",
		   (unsigned long long)trailer[3], (unsigned long long)d.next_in);
	zdtm_check(d.next_in > in_at_ready && d.next_out > out_at_ready, "nothing moved after zdtm_ready");
	zdtm_finish();
}

#endif
