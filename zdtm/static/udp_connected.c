/*
 * udp_connected: connected UDP sockets, IPv4 and IPv6.
 *
 * State: X bound to 127.0.0.1:20321 and connected to 127.0.0.1:20322, Y bound there and
 * connected back; Z, unconnected, bound to 127.0.0.1:20323. V bound to [::1]:20324 and
 * connected to [::1]:20325, W bound there and connected back.
 * Check after SIGTERM: getsockname and getpeername of X, Y, V, W give the constant
 * addresses; Z's getpeername fails with ENOTCONN. A connected socket only takes its peer's
 * datagrams: Z sends to X first, then Y sends with send() (no address): X gets only Y's
 * datagram (from 127.0.0.1:20322) and nothing else; X answers with send() and Y gets it;
 * V and W exchange datagrams with send() and recvfrom shows the peer's address.
 */
#include "inet_util.h"

int main(int argc, char **argv)
{
	struct sockaddr_in xa = it_lo4(20321), ya = it_lo4(20322), za = it_lo4(20323);
	struct sockaddr_in6 va = it_lo6(20324), wa = it_lo6(20325);
	union it_addr from;
	int x, y, z, v, w;
	char buf[64];
	ssize_t n;

	zdtm_init(argc, argv);
	x = it_udp_bound(&xa);
	y = it_udp_bound(&ya);
	z = it_udp_bound(&za);
	v = it_udp_bound(&va);
	w = it_udp_bound(&wa);
	if (connect(x, (void *)&ya, sizeof(ya)) || connect(y, (void *)&xa, sizeof(xa)))
		zdtm_fail("IPv4 sockets: %m");
	if (connect(v, (void *)&wa, sizeof(wa)) || connect(w, (void *)&va, sizeof(va)))
		zdtm_fail("IPv6 sockets: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	it_check_names("X", x, &xa, &ya);
	it_check_names("Y", y, &ya, &xa);
	it_check_names("V", v, &va, &wa);
	it_check_names("W", w, &wa, &va);
	zdtm_check(it_unconnected(z), "Z is connected (%m)");

	zdtm_check(sendto(z, "stranger", 8, 0, (void *)&xa, sizeof(xa)) == 8, "Z sendto: %m");
	zdtm_sleep_ms(20);
	zdtm_check(send(y, "peer", 4, 0) == 4, "Y send: %m");
	n = it_recvfrom_wait(x, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 4 && !memcmp(buf, "peer", 4) && it_addr_eq(&from, &ya),
		   "X's first datagram is not Y's (%zd bytes from %s): not connected", n, it_addr_str(&from));
	zdtm_sleep_ms(20);
	zdtm_check(ut_empty(x), "X took another datagram");
	zdtm_check(send(x, "back", 4, 0) == 4, "X send: %m");
	n = it_recvfrom_wait(y, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 4 && !memcmp(buf, "back", 4) && it_addr_eq(&from, &xa), "Y did not get X's datagram");

	zdtm_check(send(v, "v-to-w", 6, 0) == 6 && send(w, "w-to-v", 6, 0) == 6, "V/W send: %m");
	n = it_recvfrom_wait(w, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 6 && !memcmp(buf, "v-to-w", 6) && it_addr_eq(&from, &va), "W did not get V's datagram");
	n = it_recvfrom_wait(v, buf, sizeof(buf), 0, &from, sizeof(from), 5000);
	zdtm_check(n == 6 && !memcmp(buf, "w-to-v", 6) && it_addr_eq(&from, &wa), "V did not get W's datagram");
	zdtm_finish();
}
