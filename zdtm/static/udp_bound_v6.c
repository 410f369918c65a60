/*
 * udp_bound_v6: bound IPv6 UDP sockets, one on ::1 and one on a v4-mapped address.
 *
 * State: A, an AF_INET6 datagram socket with IPV6_V6ONLY 1 bound to [::1]:20311;
 * M, one with IPV6_V6ONLY 0 bound to [::ffff:127.0.0.1]:20312 (reached by IPv4 senders).
 * Check after SIGTERM: getsockname gives the constant addresses (scope id and flowinfo 0);
 * IPV6_V6ONLY reads 1 on A and 0 on M; SO_DOMAIN AF_INET6; /proc/net/udp6 lists both (by
 * inode) on their addresses; nothing is queued. An IPv6 sender's datagram reaches A with
 * the sender's address; an IPv4 sender's datagram to 127.0.0.1:20312 reaches M with source
 * ::ffff:127.0.0.1 and the sender's port; A and M answer and the senders get the answers
 * from [::1]:20311 and 127.0.0.1:20312.
 */
#include "inet_util.h"

int main(int argc, char **argv)
{
	struct sockaddr_in6 aa = it_lo6(20311), ma = it_addr6("::ffff:127.0.0.1", 20312), mapped;
	struct sockaddr_in m4 = it_lo4(20312), t4a = it_lo4(0);
	struct sockaddr_in6 t6a = it_lo6(0);
	union it_addr from;
	int a, m, t6, t4;
	char buf[64];
	ssize_t n;

	zdtm_init(argc, argv);
	a = socket(AF_INET6, SOCK_DGRAM, 0);
	m = socket(AF_INET6, SOCK_DGRAM, 0);
	if (a < 0 || m < 0 || ut_setint(a, IPPROTO_IPV6, IPV6_V6ONLY, 1) || ut_setint(m, IPPROTO_IPV6, IPV6_V6ONLY, 0) ||
	    bind(a, (void *)&aa, sizeof(aa)) || bind(m, (void *)&ma, sizeof(ma)))
		zdtm_fail("bind: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_names("A", a, &aa, NULL);
	it_check_names("M", m, &ma, NULL);
	UT_CHECK_INT("A", a, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	UT_CHECK_INT("M", m, IPPROTO_IPV6, IPV6_V6ONLY, 0);
	UT_CHECK_INT("A", a, SOL_SOCKET, SO_DOMAIN, AF_INET6);
	UT_CHECK_INT("M", m, SOL_SOCKET, SO_DOMAIN, AF_INET6);
	zdtm_check(it_proc_net_state("/proc/net/udp6", &aa, a) >= 0, "/proc/net/udp6 does not list A");
	zdtm_check(it_proc_net_state("/proc/net/udp6", &ma, m) >= 0, "/proc/net/udp6 does not list M");
	zdtm_check(ut_empty(a), "A has a datagram queued");
	zdtm_check(ut_empty(m), "M has a datagram queued");

	t6 = it_udp_bound(&t6a);
	t6a = it_sockname(t6).v6;
	t4 = it_udp_bound(&t4a);
	t4a = it_sockname(t4).v4;
	if (!t6a.sin6_port || !t4a.sin_port)
		zdtm_fail("senders: %m");

	zdtm_check(sendto(t6, "six", 3, 0, (void *)&aa, sizeof(aa)) == 3, "sendto A: %m");
	n = it_recvfrom_wait(a, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 3 && !memcmp(buf, "six", 3) && it_addr_eq(&from, &t6a), "A: wrong datagram (%zd bytes, from %s)", n,
		   it_addr_str(&from));
	zdtm_check(sendto(a, "ans-a", 5, 0, (void *)&t6a, sizeof(t6a)) == 5, "A cannot answer: %m");
	n = it_recvfrom_wait(t6, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 5 && !memcmp(buf, "ans-a", 5) && it_addr_eq(&from, &aa), "A's answer wrong (%zd bytes)", n);

	zdtm_check(sendto(t4, "four", 4, 0, (void *)&m4, sizeof(m4)) == 4, "sendto 127.0.0.1:20312: %m");
	n = it_recvfrom_wait(m, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	mapped = ma;
	mapped.sin6_port = t4a.sin_port;	/* the IPv4 sender as M sees it */
	zdtm_check(n == 4 && !memcmp(buf, "four", 4) && it_addr_eq(&from, &mapped),
		   "M: wrong datagram from the IPv4 sender (%zd bytes, from %s)", n, it_addr_str(&from));
	zdtm_check(sendto(m, "ans-m", 5, 0, (void *)&mapped, sizeof(mapped)) == 5, "M cannot answer: %m");
	n = it_recvfrom_wait(t4, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 5 && !memcmp(buf, "ans-m", 5) && it_addr_eq(&from, &m4), "M's answer wrong (%zd bytes)", n);
	zdtm_finish();
}
