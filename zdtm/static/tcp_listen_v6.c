/*
 * tcp_listen_v6: IPv6 listening TCP sockets with IPV6_V6ONLY on and off.
 *
 * State: three AF_INET6 stream sockets with SO_REUSEADDR, listening (backlog 8):
 *   A on [::1]:20111 with IPV6_V6ONLY 1,
 *   B on [::1]:20112 with IPV6_V6ONLY set to 0 before the bind (binding a specific
 *     non-mapped address turns it back on: the kernel then reads 1),
 *   C on [::ffff:127.0.0.1]:20113 with IPV6_V6ONLY 0 (a v4-mapped address: only possible
 *     with V6ONLY off, and reached by plain IPv4 clients).
 * Check after SIGTERM, for each: getsockname gives the constant address, port, scope id 0
 * and flowinfo 0; IPV6_V6ONLY is what was read back before (1, 1, 0), SO_ACCEPTCONN,
 * SO_REUSEADDR, SO_TYPE, SO_DOMAIN, SO_PROTOCOL and tcpi_state LISTEN hold;
 * /proc/net/tcp6 lists the socket (by inode) as LISTEN on that address. Then an IPv6
 * client connects to A and to B, an IPv4 client connects to 127.0.0.1:20113 and lands on
 * C (its peer there is ::ffff:127.0.0.1 with the client's port), and 500 bytes go each way
 * on each of the three connections.
 */
#include "inet_util.h"

#define LEN 500

static const char *const names[3] = { "A", "B", "C" };
static const int ports[3] = { 20111, 20112, 20113 };
static const int v6only[3] = { 1, 0, 0 };	/* as set */
static const int v6only_read[3] = { 1, 1, 0 };	/* as the kernel reads them after bind */

static struct sockaddr_in6 addr_of(int i)
{
	return it_addr6(i == 2 ? "::ffff:127.0.0.1" : "::1", ports[i]);
}

int main(int argc, char **argv)
{
	struct sockaddr_in6 a;
	struct sockaddr_in a4 = it_lo4(20113);
	union it_addr peer, cl;
	int l[3], i;

	zdtm_init(argc, argv);
	for (i = 0; i < 3; i++) {
		a = addr_of(i);
		l[i] = socket(AF_INET6, SOCK_STREAM, 0);
		if (l[i] < 0 || ut_setint(l[i], SOL_SOCKET, SO_REUSEADDR, 1) ||
		    ut_setint(l[i], IPPROTO_IPV6, IPV6_V6ONLY, v6only[i]) || bind(l[i], (void *)&a, sizeof(a)) ||
		    listen(l[i], 8))
			zdtm_fail("%s: listen on port %d: %m", names[i], ports[i]);
		if (ut_getint(l[i], IPPROTO_IPV6, IPV6_V6ONLY) != v6only_read[i])
			zdtm_fail("%s: IPV6_V6ONLY reads %d after bind, expected %d", names[i],
				  ut_getint(l[i], IPPROTO_IPV6, IPV6_V6ONLY), v6only_read[i]);
		if (it_proc_net_state("/proc/net/tcp6", &a, l[i]) != TCP_LISTEN)
			zdtm_fail("%s: no LISTEN row in /proc/net/tcp6 before the checkpoint", names[i]);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 3; i++) {
		a = addr_of(i);
		it_check_tcp_listener(names[i], l[i], &a);
		UT_CHECK_INT(names[i], l[i], IPPROTO_IPV6, IPV6_V6ONLY, v6only_read[i]);
	}

	for (i = 0; i < 3; i++) {
		int c, s, family = i == 2 ? AF_INET : AF_INET6;
		a = addr_of(i);
		c = socket(family, SOCK_STREAM, 0);
		if (i < 2) {
			if (!zdtm_check(c >= 0 && connect(c, (void *)&a, sizeof(a)) == 0, "%s: an IPv6 client cannot connect: %m",
					names[i]))
				continue;
		} else if (!zdtm_check(c >= 0 && connect(c, (void *)&a4, sizeof(a4)) == 0,
				       "C: an IPv4 client cannot connect to 127.0.0.1:20113: %m")) {
			continue;
		}
		cl = it_sockname(c);
		s = accept(l[i], NULL, NULL);
		if (!zdtm_check(s >= 0, "%s: accept: %m", names[i])) {
			close(c);
			continue;
		}
		peer = it_peername(s);
		if (i < 2) {
			zdtm_check(it_addr_eq(&peer, &cl), "%s: accepted peer %s is not the client %s", names[i], it_addr_str(&peer),
				   it_addr_str(&cl));
		} else {
			/* the IPv4 client as C sees it: ::ffff:127.0.0.1 with its port */
			a.sin6_port = cl.v4.sin_port;
			zdtm_check(it_addr_eq(&peer, &a), "C: the IPv4 client's peer address is %s, not %s", it_addr_str(&peer),
				   it_addr_str(&a));
		}
		it_exchange(names[i], c, s, LEN, i < 2 ? 110 + 2 * i : 120);
		close(c);
		close(s);
	}
	zdtm_finish();
}
