/*
 * unix_dgram_senders: one dgram socket with datagrams queued from several senders: two bound
 * to path names, one to an abstract name, one unbound; the source address of every datagram
 * matters.
 *
 * State: R bound to DIR/rcv; senders P1 (DIR/s1), P2 (DIR/s2), X (abstract "zdtm-snd.TAG")
 * and U (unbound) sent R 9 datagrams, in this order: P1, P2, U, X, P1, P2, X, U, P1, datagram
 * i being 40 + 97 * i bytes of seed 230 + i. The source address an unbound sender gets was
 * learned from a probe before (length 0).
 * Check after SIGTERM: R receives the 9 datagrams in order, each with its size, contents and
 * the address of its own sender (recvfrom), then EAGAIN; the senders' getsockname are their
 * names; R's replies sent to P1's, P2's and X's names each reach that sender only.
 * (TAG: the pid and a hash of the run directory, so concurrent runs do not clash.)
 */
#include "unix_util.h"

#define NS 4
#define ND 9

static const int order[ND] = { 0, 1, 3, 2, 0, 1, 2, 3, 0 };	/* 0 P1, 1 P2, 2 X, 3 U */

int main(int argc, char **argv)
{
	int r, s[NS], i, j, tmp;
	const char *dir, *p1, *p2, *prcv;
	char xn[64];
	struct ut_addr ra, na[NS], a;
	uint8_t buf[1024];

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	ra = ut_sock_addr(dir, "rcv", &prcv);
	na[0] = ut_sock_addr(dir, "s1", &p1);
	na[1] = ut_sock_addr(dir, "s2", &p2);
	snprintf(xn, sizeof(xn), "zdtm-snd.%s", ut_tag());
	na[2] = ut_abstract_addr(xn, strlen(xn));
	r = ut_socket(SOCK_DGRAM);
	if (ut_bind(r, &ra))
		zdtm_fail("bind %s: %m", prcv);
	for (i = 0; i < NS; i++) {
		s[i] = ut_socket(SOCK_DGRAM);
		if (i < 3 && ut_bind(s[i], &na[i]))
			zdtm_fail("bind sender %d: %m", i);
	}
	if (ut_sendto(s[3], "p", 1, &ra) != 1)
		zdtm_fail("probe: %m");
	memset(&na[3], 0, sizeof(na[3]));
	na[3].len = sizeof(na[3].sa);
	if (recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&na[3].sa, &na[3].len) != 1)
		zdtm_fail("probe: %m");
	for (i = 0; i < ND; i++) {
		zdtm_fill(buf, 40 + 97 * i, 230 + i);
		if (ut_sendto(s[order[i]], buf, 40 + 97 * i, &ra) != 40 + 97 * i)
			zdtm_fail("datagram %d: %m", i);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < ND; i++) {
		ssize_t n;
		memset(buf, 0, sizeof(buf));
		memset(&a, 0, sizeof(a));
		a.len = sizeof(a.sa);
		n = recvfrom(r, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&a.sa, &a.len);
		zdtm_check(n == 40 + 97 * i && zdtm_verify(buf, n, 230 + i) < 0, "datagram %d: %zd bytes (%m), expected %d",
			   i, n, 40 + 97 * i);
		zdtm_check(ut_addr_eq(&a, &na[order[i]]), "datagram %d: from %s, expected sender %d %s", i,
			   ut_addr_str(&a), order[i], ut_addr_str(&na[order[i]]));
	}
	zdtm_check(ut_empty(r), "R: more datagrams than sent");
	for (i = 0; i < 3; i++) {
		char who[16];
		snprintf(who, sizeof(who), "sender %d", i);
		ut_check_name(who, s[i], 0, &na[i], NULL);
	}
	for (i = 0; i < 3; i++) {
		zdtm_check(ut_sendto(r, "reply-to", 5 + i, &na[i]) == 5 + i, "reply to sender %d: %m", i);
		for (j = 0; j < NS; j++)
			zdtm_check(ut_inq(s[j]) == (i == j ? 5 + i : 0), "reply to sender %d: sender %d holds %d bytes", i,
				   j, ut_inq(s[j]));
		recv(s[i], buf, sizeof(buf), MSG_DONTWAIT);
	}
	unlink(prcv);
	unlink(p1);
	unlink(p2);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
