/*
 * transition_pipe_stream: a pipe fed by a writer in the tree the whole time it is dumped.
 *
 * State: a child writes 8-byte sequence numbers into a pipe as fast as the parent reads them
 * (the pipe is often full, the writer blocked in write(2); the reader blocked in read(2) when it
 * is empty), so the dump catches bytes in the pipe and both ends in a syscall.
 * Check after SIGTERM: the parent read a gapless, duplicate-free sequence from 0 on, across
 * every checkpoint (no byte of the pipe lost, repeated or reordered), and far beyond the point
 * of zdtm_ready; the child, told to stop, exits 0.
 */
#include "zdtm.h"
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int p[2], st;
	uint64_t want = 0, at_ready, buf[64];
	unsigned long bad = 0;
	pid_t child;

	zdtm_init(argc, argv);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		close(p[0]);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		for (uint64_t seq = 0;; seq++) {
			ssize_t w;
			do
				w = write(p[1], &seq, sizeof(seq));
			while (w < 0 && errno == EINTR);
			if (w != sizeof(seq))
				_exit(3);
		}
	}
	close(p[1]);
	/* Some numbers before the first checkpoint. */
	while (want < 10000) {
		ssize_t r = read(p[0], buf, sizeof(buf));
		if (r <= 0 || r % 8)
			zdtm_fail("read %zd: %m", r);
		for (ssize_t i = 0; i < r / 8; i++, want++)
			if (buf[i] != want)
				zdtm_fail("read %llu, expected %llu", (unsigned long long)buf[i], (unsigned long long)want);
	}
	at_ready = want;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		ssize_t r = read(p[0], buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || r % 8) {
			zdtm_log("read %zd", r);
			bad++;
			break;
		}
		for (ssize_t i = 0; i < r / 8; i++, want++) {
			if (buf[i] != want) {
				zdtm_log("read %llu, expected %llu", (unsigned long long)buf[i], (unsigned long long)want);
				bad++;
				want = buf[i];
			}
		}
	}
	kill(child, SIGTERM);
	close(p[0]);
	zdtm_check(waitpid(child, &st, 0) == child && WIFSIGNALED(st) && (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGPIPE),
		   "writer ended %#x", st);
	zdtm_log("%llu numbers", (unsigned long long)want);
	zdtm_check(bad == 0, "%lu breaks in the sequence", bad);
	zdtm_check(want > at_ready, "nothing read after zdtm_ready");
	zdtm_finish();
}
