/*
 * tcp_listen_v4: a listening TCP socket on 127.0.0.1:20101.
 *
 * State: an AF_INET stream socket with SO_REUSEADDR, bound to 127.0.0.1:20101 and
 * listening (backlog 16), nothing in its accept queue; its file flags and inode recorded.
 * Check after SIGTERM: getsockname is 127.0.0.1:20101 (the constant); SO_ACCEPTCONN,
 * SO_REUSEADDR, SO_TYPE, SO_DOMAIN, SO_PROTOCOL, tcpi_state LISTEN and the file flags are
 * as before; /proc/net/tcp lists this very socket (by inode) as LISTEN on 127.0.0.1:20101;
 * the accept queue is empty (nonblocking accept gives EAGAIN); a fresh client connects,
 * accept returns it with the client's own address as peer, and 1000 bytes go each way
 * intact.
 */
#include "inet_util.h"

#define PORT 20101
#define LEN 1000

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr cl, peer;
	int l, c, s, fl;

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 16, 0);
	fl = fcntl(l, F_GETFL);
	if (it_proc_net_state("/proc/net/tcp", &a, l) != TCP_LISTEN)
		zdtm_fail("/proc/net/tcp does not show the listener before the checkpoint");

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_tcp_listener("listener", l, &a);
	zdtm_check(fcntl(l, F_GETFL) == fl, "file flags %#x, were %#x", fcntl(l, F_GETFL), fl);
	s = ut_accept_nb(l);
	zdtm_check(s < 0 && errno == EAGAIN, "accept on an empty queue: %d (%m)", s);
	if (s >= 0)
		close(s);

	c = socket(AF_INET, SOCK_STREAM, 0);
	if (!zdtm_check(c >= 0 && connect(c, (void *)&a, sizeof(a)) == 0, "a fresh client cannot connect: %m"))
		zdtm_finish();
	cl = it_sockname(c);
	s = accept(l, NULL, NULL);
	if (!zdtm_check(s >= 0, "accept: %m"))
		zdtm_finish();
	peer = it_peername(s);
	zdtm_check(it_addr_eq(&peer, &cl), "accepted peer %s is not the client %s", it_addr_str(&peer), it_addr_str(&cl));
	it_exchange("fresh connection", c, s, LEN, 101);
	close(c);
	close(s);
	zdtm_finish();
}
