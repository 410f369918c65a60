/*
 * transition_tcp_stream: an established TCP connection over 127.0.0.1 between the root and a
 * child carrying two sequences, one each way, the whole time the tree is dumped (with
 * --tcp-established: amber repairs the connection on both ends).
 *
 * State: the root listens on an ephemeral loopback port, the child connects, the root accepts
 * and closes the listener. Each side sends 64-bit sequence numbers 0, 1, 2... in writes of 1 to
 * 700 numbers (nonblocking, driven by poll) and reads the other's, so both directions have data
 * in flight: unread in the receive queues, unacknowledged or not yet sent in the send queues,
 * often full; chunks are split at arbitrary bytes.
 * Check: each side reads a gapless, duplicate-free sequence; after SIGTERM the root stops
 * sending and shuts its end for writing; the child, on EOF, sends a trailer (magic, how many
 * numbers it received, how many were wrong, how many it sent) and closes; the root reads the
 * child's sequence up to the trailer, which must say the child received exactly what the root
 * sent, nothing wrong, and sent exactly what the root received; then EOF; the child exits 0;
 * both directions moved after zdtm_ready; a stream that stops moving for 10 s is a failure.
 * noauto: amber does not network-lock a connection whose two ends are both in the tree, so
 * while it reads one end the kernel goes on carrying data to it from the other, still unread
 * end: the images disagree (bytes acknowledged by one end are missing from the other's queue)
 * and the restored connection stalls for good.
 */
#include "seqstream_util.h"
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t child;
	int fd;

	zdtm_init(argc, argv);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen))
		zdtm_fail("listen: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		close(lfd);
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
			_exit(9);
		ss_child(c);
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		zdtm_fail("accept: %m");
	close(lfd);
	ss_root(fd, child);
	return 0;
}
