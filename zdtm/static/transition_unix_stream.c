/*
 * transition_unix_stream: a unix stream socketpair carrying two sequences, one each way, between
 * the root and a child the whole time the tree is dumped.
 *
 * State: each side sends 64-bit sequence numbers 0, 1, 2... in writes of 1 to 700 numbers at
 * once (nonblocking, driven by poll) and reads the other side's, so both directions keep data
 * queued in the socket buffers, often full, and chunks are split at arbitrary bytes.
 * Check: each side reads a gapless, duplicate-free sequence; after SIGTERM the root stops
 * sending and shuts its end for writing; the child, on EOF, sends a trailer (magic, how many
 * numbers it received, how many were wrong, how many it sent) and closes; the root reads the
 * child's sequence up to the trailer, which must say the child received exactly what the root
 * sent, nothing wrong, and sent exactly what the root received; then EOF; the child exits 0;
 * both directions moved after zdtm_ready; a stream that stops moving for 10 s is a failure.
 */
#include "seqstream_util.h"
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int sv[2];
	pid_t child;

	zdtm_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		zdtm_fail("socketpair: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		close(sv[0]);
		ss_child(sv[1]);
	}
	close(sv[1]);
	ss_root(sv[0], child);
	return 0;
}
