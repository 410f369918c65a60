/*
 * tcp_established_opts: the TCP options of an established connection that the connection's
 * repair does not carry, set on one end and left alone on the other (dumped with
 * --tcp-established).
 *
 * State: a client C connected to a listener on 127.0.0.1:20271, the accepted end S (the
 * listener then closed). C has TCP_USER_TIMEOUT 23456, TCP_NOTSENT_LOWAT 65536, TCP_LINGER2 17,
 * TCP_SYNCNT 3 and TCP_CONGESTION "reno"; S has none of them set, and what S reads for each
 * is recorded (the kernel's defaults, which must not be pinned to C's). Not TCP_WINDOW_CLAMP:
 * the kernel's receive autotuning moves it as data arrives (40000 read 92160 a moment later,
 * with no dump at all); the repair window carries it.
 * 3000 bytes (pattern 1513) wait C -> S and 2000 (pattern 1514) S -> C.
 * Check after SIGTERM: C's options as set, S's as recorded, both congestion algorithms as
 * before; each end reads exactly the other's bytes, then 500 more each way arrive in order.
 */
#include "inet_util.h"

#define PORT 20271
#define C2S 3000
#define S2C 2000
#define MORE 500

static const struct { const char *name; int opt, value; } set_on_c[] = {
	{ "TCP_USER_TIMEOUT", TCP_USER_TIMEOUT, 23456 },
	{ "TCP_NOTSENT_LOWAT", TCP_NOTSENT_LOWAT, 65536 },
	{ "TCP_LINGER2", TCP_LINGER2, 17 },
	{ "TCP_SYNCNT", TCP_SYNCNT, 3 },
};
#define N_OPTS (int)(sizeof(set_on_c) / sizeof(set_on_c[0]))

static void congestion(int fd, char *out, socklen_t len)
{
	memset(out, 0, len);
	if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, out, &len))
		zdtm_fail("getsockopt(TCP_CONGESTION): %m");
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	int l, c, s, i, s_had[N_OPTS];
	char c_cc[16], s_cc[16], now[16];
	struct it_end ec, es;

	zdtm_init(argc, argv);
	l = it_tcp_listen(&a, 1, 0);
	c = it_tcp_socket(AF_INET);
	s = it_connect_accept(l, c, &a);
	for (i = 0; i < N_OPTS; i++) {
		if (ut_setint(c, IPPROTO_TCP, set_on_c[i].opt, set_on_c[i].value))
			zdtm_fail("setsockopt(%s): %m", set_on_c[i].name);
		s_had[i] = ut_getint(s, IPPROTO_TCP, set_on_c[i].opt);
		if (s_had[i] == set_on_c[i].value)
			zdtm_fail("%s: the server's default is the value set on the client (%d): the test proves nothing", set_on_c[i].name, s_had[i]);
	}
	if (setsockopt(c, IPPROTO_TCP, TCP_CONGESTION, "reno", 4))
		zdtm_fail("setsockopt(TCP_CONGESTION reno): %m");
	congestion(c, c_cc, sizeof(c_cc));
	congestion(s, s_cc, sizeof(s_cc));
	if (strcmp(c_cc, "reno"))
		zdtm_fail("client congestion is %s after setting reno", c_cc);
	if (!strcmp(s_cc, "reno"))
		zdtm_fail("the server's default congestion is reno too: the test proves nothing");
	ec = (struct it_end){ "client", c, C2S, 1513 };
	es = (struct it_end){ "server", s, S2C, 1514 };
	it_queue(&ec);
	it_queue(&es);

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < N_OPTS; i++) {
		char client[64], server[64];
		snprintf(client, sizeof(client), "client %s", set_on_c[i].name);
		snprintf(server, sizeof(server), "server %s", set_on_c[i].name);
		UT_CHECK_INT(client, c, IPPROTO_TCP, set_on_c[i].opt, set_on_c[i].value);
		UT_CHECK_INT(server, s, IPPROTO_TCP, set_on_c[i].opt, s_had[i]);
	}
	congestion(c, now, sizeof(now));
	if (strcmp(now, c_cc))
		zdtm_fail("client congestion is %s, was %s", now, c_cc);
	congestion(s, now, sizeof(now));
	if (strcmp(now, s_cc))
		zdtm_fail("server congestion is %s, was %s", now, s_cc);
	it_tcp_check_streams(&ec, &es, MORE);
	zdtm_finish();
}
