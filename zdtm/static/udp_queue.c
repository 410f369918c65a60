/*
 * udp_queue: UDP datagrams from two senders waiting in a receive queue, IPv4 and IPv6.
 *
 * State: R bound to 127.0.0.1:20331 holds 8 unread datagrams sent alternately by S1
 * (127.0.0.1:20332) and S2 (127.0.0.1:20333) in the order 1 2 1 1 2 2 1 2, of 0, 1, 100,
 * 1472, 9000, 3, 2000 and 512 bytes, datagram i filled with pattern 3300 + i. R6 bound to
 * [::1]:20334 holds 4 datagrams from T1 ([::1]:20335) and T2 ([::1]:20336) in the order
 * 1 2 2 1, of 7, 0, 1500 and 333 bytes, pattern 3400 + i.
 * Check after SIGTERM: FIONREAD on R is the size of the first datagram (0) and on R6 7;
 * recvfrom (MSG_TRUNC, so a shortened datagram would show) gives every datagram in order,
 * whole, with its content and the right sender's address and port; then the queues are
 * empty; a new datagram from S2 still arrives after them.
 */
#include "inet_util.h"

#define N4 8
#define N6 4
static const int who4[N4] = { 1, 2, 1, 1, 2, 2, 1, 2 };
static const int len4[N4] = { 0, 1, 100, 1472, 9000, 3, 2000, 512 };
static const int who6[N6] = { 1, 2, 2, 1 };
static const int len6[N6] = { 7, 0, 1500, 333 };

/* Reads the n queued datagrams of r in order: datagram i has len[i] bytes of pattern seed + i and comes from sa[who[i]]. */
static void check_queue(const char *name, int r, int n, const int *who, const int *len, int seed, const void *sa,
			size_t sasize)
{
	static uint8_t buf[65536];
	union it_addr from;
	ssize_t got;
	int i;
	for (i = 0; i < n; i++) {
		const void *want = (const char *)sa + who[i] * sasize;
		socklen_t fl = sizeof(from);
		memset(&from, 0, sizeof(from));
		memset(buf, 0, len[i] + 1);
		got = recvfrom(r, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC, &from.sa, &fl);
		if (!zdtm_check(got >= 0, "%s: datagram %d is missing (%m)", name, i))
			break;
		zdtm_check(got == len[i] && zdtm_verify(buf, got, seed + i) < 0,
			   "%s: datagram %d has %zd bytes (expected %d) or wrong content", name, i, got, len[i]);
		zdtm_check(fl == sasize && it_addr_eq(&from, want), "%s: datagram %d comes from %s, expected %s", name, i,
			   it_addr_str(&from), it_addr_str(want));
	}
	zdtm_check(ut_empty(r), "%s: more datagrams than were sent", name);
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct sockaddr_in ra = it_lo4(20331), sa[3] = { it_lo4(0), it_lo4(20332), it_lo4(20333) };
	struct sockaddr_in6 r6a = it_lo6(20334), ta[3] = { it_lo6(0), it_lo6(20335), it_lo6(20336) };
	union it_addr from;
	int r, r6, s[3], t[3], i, q;

	zdtm_init(argc, argv);
	r = it_udp_bound(&ra);
	r6 = it_udp_bound(&r6a);
	for (i = 1; i <= 2; i++) {
		s[i] = it_udp_bound(&sa[i]);
		t[i] = it_udp_bound(&ta[i]);
	}
	for (i = 0; i < N4; i++) {
		zdtm_fill(buf, len4[i], 3300 + i);
		if (sendto(s[who4[i]], buf, len4[i], 0, (void *)&ra, sizeof(ra)) != len4[i])
			zdtm_fail("sendto R: %m");
	}
	for (i = 0; i < N6; i++) {
		zdtm_fill(buf, len6[i], 3400 + i);
		if (sendto(t[who6[i]], buf, len6[i], 0, (void *)&r6a, sizeof(r6a)) != len6[i])
			zdtm_fail("sendto R6: %m");
	}
	zdtm_sleep_ms(50);
	q = ut_inq(r6);
	if (q != len6[0])
		zdtm_fail("R6: FIONREAD %d before the checkpoint, expected %d", q, len6[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_inq(r) == len4[0], "R: FIONREAD %d, expected %d", ut_inq(r), len4[0]);
	zdtm_check(ut_inq(r6) == len6[0], "R6: FIONREAD %d, expected %d", ut_inq(r6), len6[0]);
	check_queue("R", r, N4, who4, len4, 3300, sa, sizeof(sa[0]));
	check_queue("R6", r6, N6, who6, len6, 3400, ta, sizeof(ta[0]));

	zdtm_check(sendto(s[2], "late", 4, 0, (void *)&ra, sizeof(ra)) == 4, "late sendto: %m");
	zdtm_check(it_recvfrom_wait(r, buf, sizeof(buf), 0, &from, sizeof(from), 5000) == 4 && !memcmp(buf, "late", 4) &&
		   it_addr_eq(&from, &sa[2]), "R: a new datagram does not arrive");
	zdtm_finish();
}
