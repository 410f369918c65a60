/*
 * tcp_cork: an established TCP connection whose sending end has TCP_CORK set and a few
 * corked bytes (dumped with --tcp-established).
 *
 * State: a client C connected to a listener on 127.0.0.1:20221, the accepted end S (the
 * listener is then closed). C sets TCP_CORK and writes "abc": those three bytes stay in C's
 * send queue as a partial segment (checked: 30 ms later S has nothing). Linux sends corked
 * data anyway once the ~200 ms probe timer fires, so when the checkpoint comes the bytes
 * are either still corked in C's send queue or already in S's receive queue; both must
 * come out right.
 * Check after SIGTERM: both ESTABLISHED with the recorded addresses; TCP_CORK reads 1 and
 * TCP_NODELAY 0 on C; S receives exactly "abc" once (within 2 s) and nothing more; the cork
 * still works: C writes "de" and 30 ms later S has not got it (checked only if the test was
 * not delayed past 150 ms, the earliest the kernel would push); clearing TCP_CORK sends
 * "de" at once, and then TCP_CORK reads 0.
 */
#include "inet_util.h"

#define PORT 20221

int main(int argc, char **argv)
{
	struct sockaddr_in a = it_lo4(PORT);
	union it_addr cself, sself;
	int c, s, n;
	uint64_t t0;
	char buf[16];

	zdtm_init(argc, argv);
	it_tcp_pair(&a, &c, &s);
	cself = it_sockname(c);
	sself = it_sockname(s);
	if (ut_setint(c, IPPROTO_TCP, TCP_CORK, 1))
		zdtm_fail("TCP_CORK: %m");
	t0 = zdtm_now_ns();
	if (send(c, "abc", 3, MSG_NOSIGNAL) != 3)
		zdtm_fail("send: %m");
	zdtm_sleep_ms(30);
	n = ut_inq(s);
	if (zdtm_now_ns() - t0 < 150000000ULL && n != 0)
		zdtm_fail("the corked bytes arrived at once (%d bytes queued at the server)", n);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(it_tcp_state(c) == TCP_ESTABLISHED && it_tcp_state(s) == TCP_ESTABLISHED, "states %d/%d",
		   it_tcp_state(c), it_tcp_state(s));
	it_check_names("client", c, &cself, &sself);
	it_check_names("server", s, NULL, &cself);
	UT_CHECK_INT("client", c, IPPROTO_TCP, TCP_CORK, 1);
	UT_CHECK_INT("client", c, IPPROTO_TCP, TCP_NODELAY, 0);
	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full(s, buf, 3, 2000) == 3 && !memcmp(buf, "abc", 3), "the corked bytes did not arrive: \"%s\"",
		   buf);
	zdtm_check(ut_empty(s), "more than the corked bytes arrived");

	t0 = zdtm_now_ns();
	zdtm_check(send(c, "de", 2, MSG_NOSIGNAL) == 2, "send: %m");
	zdtm_sleep_ms(30);
	n = ut_inq(s);
	if (zdtm_now_ns() - t0 < 150000000ULL)
		zdtm_check(n == 0, "2 bytes written with TCP_CORK arrived at once (%d queued): the cork is gone", n);
	else
		zdtm_log("delayed %llu ms: the cork's holding is not checked", (unsigned long long)(zdtm_now_ns() - t0) / 1000000);
	zdtm_check(ut_setint(c, IPPROTO_TCP, TCP_CORK, 0) == 0, "clearing TCP_CORK: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(ut_read_full(s, buf, 2, 1000) == 2 && !memcmp(buf, "de", 2), "uncorked bytes missing: \"%s\"", buf);
	UT_CHECK_INT("client, TCP_CORK cleared", c, IPPROTO_TCP, TCP_CORK, 0);
	zdtm_check(ut_empty(s), "extra data arrived");
	zdtm_finish();
}
