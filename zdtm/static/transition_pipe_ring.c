/*
 * transition_pipe_ring: a token passed round a ring of processes through pipes the whole time
 * the tree is dumped.
 *
 * State: the root and seven children form a ring of eight pipes; the root puts a token (a
 * counter) in, and each member reads it, checks it is one more than the last it saw from its
 * neighbour, adds one and writes it on; so at any moment one member is about to read, the token
 * may be in a pipe or in a member's hands, and every other member is blocked in read(2).
 * Check after SIGTERM: the root stops the ring (a stop token), each child exits 0 only if every
 * token it saw was exactly eight more than the one before (nothing lost, repeated or invented
 * in any pipe, by any checkpoint), the root saw the same, and the token went round after
 * zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define MEMBERS 8
#define STOP UINT64_MAX

static int read_token(int fd, uint64_t *t)
{
	ssize_t r;
	do
		r = read(fd, t, sizeof(*t));
	while (r < 0 && errno == EINTR);
	return r == sizeof(*t) ? 0 : -1;
}

static int write_token(int fd, uint64_t t)
{
	ssize_t w;
	do
		w = write(fd, &t, sizeof(t));
	while (w < 0 && errno == EINTR);
	return w == sizeof(t) ? 0 : -1;
}

/* Member i reads from ring[i], writes to ring[(i + 1) % MEMBERS]; it is handed token i first. */
static int member(int in, int out, uint64_t first)
{
	uint64_t t, want = first;
	for (;;) {
		if (read_token(in, &t))
			return 3;
		if (t == STOP) {
			write_token(out, STOP);
			return 0;
		}
		if (t != want)
			return 4;
		if (write_token(out, t + 1))
			return 5;
		want = t + MEMBERS;
	}
}

int main(int argc, char **argv)
{
	int ring[MEMBERS][2], st, i;
	pid_t kids[MEMBERS];
	uint64_t t = 0, want = 0, at_ready;
	unsigned long bad = 0;

	zdtm_init(argc, argv);
	for (i = 0; i < MEMBERS; i++)
		if (pipe(ring[i]))
			zdtm_fail("pipe: %m");
	for (i = 1; i < MEMBERS; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			zdtm_fail("fork: %m");
		if (kids[i] == 0) {
			signal(SIGTERM, SIG_IGN); /* the root stops the ring */
			for (int j = 0; j < MEMBERS; j++) {
				if (j != i)
					close(ring[j][0]);
				if (j != (i + 1) % MEMBERS)
					close(ring[j][1]);
			}
			_exit(member(ring[i][0], ring[(i + 1) % MEMBERS][1], i));
		}
	}
	for (i = 0; i < MEMBERS; i++) {
		if (i != 0)
			close(ring[i][0]);
		if (i != 1)
			close(ring[i][1]);
	}
	/* The root is member 0: it starts the token, then goes on as the others do. */
	if (write_token(ring[1][1], 1))
		zdtm_fail("write: %m");
	want = MEMBERS;
	while (want < 1000 * MEMBERS) {
		if (read_token(ring[0][0], &t) || t != want)
			zdtm_fail("token %llu, expected %llu", (unsigned long long)t, (unsigned long long)want);
		if (write_token(ring[1][1], t + 1))
			zdtm_fail("write: %m");
		want += MEMBERS;
	}
	at_ready = want;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		if (read_token(ring[0][0], &t)) {
			zdtm_log("read: %m");
			bad++;
			break;
		}
		if (t != want) {
			zdtm_log("token %llu, expected %llu", (unsigned long long)t, (unsigned long long)want);
			bad++;
			want = t;
		}
		if (write_token(ring[1][1], t + 1)) {
			bad++;
			break;
		}
		want += MEMBERS;
	}
	/* Take the token in flight, then send the stop round. */
	if (read_token(ring[0][0], &t) || t != want)
		bad++;
	write_token(ring[1][1], STOP);
	zdtm_check(read_token(ring[0][0], &t) == 0 && t == STOP, "the stop token did not come round");
	for (i = 1; i < MEMBERS; i++)
		zdtm_check(waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0, "member %d ended %#x", i, st);
	zdtm_log("token at %llu", (unsigned long long)want);
	zdtm_check(bad == 0, "%lu breaks in the ring", bad);
	zdtm_check(want > at_ready, "the token did not go round after zdtm_ready");
	zdtm_finish();
}
