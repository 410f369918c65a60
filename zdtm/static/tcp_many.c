/*
 * tcp_many: 100 established TCP connections over loopback in one process, each with its
 * own data queued both ways (dumped with --tcp-established).
 *
 * State: 100 clients connected to a listener on 127.0.0.1:20231 and their 100 accepted
 * ends (the listener is then closed). Pair i: the client wrote 100 + 37 i bytes (pattern
 * 10000 + i) and the server 50 + 53 i bytes (pattern 20000 + i), none read. Each client's
 * local port is recorded, as is which server fd it belongs to.
 * Check after SIGTERM, for every pair: both ESTABLISHED; the client's local address is the
 * recorded one and its peer 127.0.0.1:20231; the server's peer is its own client (so no
 * two connections got swapped); each end reads exactly its bytes with the right pattern,
 * then nothing; then 16 more bytes each way (patterns continued) arrive.
 */
#include "inet_util.h"

#define PORT 20231
#define N 100
#define C2S(i) (100 + 37 * (i))
#define S2C(i) (50 + 53 * (i))
#define MORE 16

static int c[N], s[N];
static union it_addr cself[N];

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr x;
	int l, i, bad;
	socklen_t len;

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 4, 0);
	for (i = 0; i < N; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i] < 0 || connect(c[i], (void *)&a, sizeof(a)))
			zdtm_fail("connect %d: %m", i);
		len = sizeof(x);
		s[i] = accept(l, &x.sa, &len);
		if (s[i] < 0)
			zdtm_fail("accept %d: %m", i);
		cself[i] = it_sockname(c[i]);
		if (!it_addr_eq(&x, &cself[i]))
			zdtm_fail("accepted connection %d is not the last client's", i);
		if (!it_send_pattern(c[i], C2S(i), 10000 + i, 0) || !it_send_pattern(s[i], S2C(i), 20000 + i, 0))
			zdtm_fail("send on pair %d: %m", i);
	}
	close(l);
	for (i = 0; i < N; i++) {
		int q = it_wait_inq(s[i], C2S(i), 1000);
		if (q != C2S(i))
			zdtm_fail("pair %d: %d bytes at the server, expected %d", i, q, C2S(i));
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0, bad = 0; i < N && bad < 10; i++) {
		int f = zdtm_failures();
		char who[32];
		zdtm_check(it_tcp_state(c[i]) == TCP_ESTABLISHED && it_tcp_state(s[i]) == TCP_ESTABLISHED,
			   "pair %d: states %d/%d", i, it_tcp_state(c[i]), it_tcp_state(s[i]));
		snprintf(who, sizeof(who), "pair %d: client", i);
		it_check_names(who, c[i], &cself[i], &a);
		snprintf(who, sizeof(who), "pair %d: server", i);
		it_check_names(who, s[i], NULL, &cself[i]);
		zdtm_check(it_read_pattern(s[i], C2S(i), 10000 + i, 0) && ut_empty(s[i]),
			   "pair %d: the server's %d queued bytes differ", i, C2S(i));
		zdtm_check(it_read_pattern(c[i], S2C(i), 20000 + i, 0) && ut_empty(c[i]),
			   "pair %d: the client's %d queued bytes differ", i, S2C(i));
		zdtm_check(it_send_pattern(c[i], MORE, 10000 + i, C2S(i)) && it_send_pattern(s[i], MORE, 20000 + i, S2C(i)),
			   "pair %d: cannot send after restore: %m", i);
		zdtm_check(it_read_pattern(s[i], MORE, 10000 + i, C2S(i)) && it_read_pattern(c[i], MORE, 20000 + i, S2C(i)),
			   "pair %d: the new bytes differ", i);
		bad += zdtm_failures() > f;
	}
	zdtm_finish();
}
