/*
 * unix_abstract_dgram: a dgram socket bound to an abstract name with datagrams queued from an
 * unbound sender and from a sender bound to another abstract name.
 *
 * State: R bound to "zdtm-abs-dgram.TAG"; U unbound sent it datagrams of 10 and 3000 bytes
 * (seeds 190, 191) with sendto(name); B bound to "zdtm-abs-snd.TAG" sent one of 77 bytes
 * (seed 192) between them; nothing read. recvfrom-style source addresses of an unbound sender
 * worked out from a probe before (length 0).
 * Check after SIGTERM: getsockname(R), getsockname(B) the exact names; R receives 10 bytes
 * from U (no address), 77 from B (B's name), 3000 from U, in that order, then EAGAIN; a new
 * datagram sent to R's name arrives at R and R's reply sent to B's name arrives at B with R's
 * name as source.
 * (TAG: the pid and a hash of the run directory, so concurrent runs do not clash.)
 */
#include "unix_util.h"

static uint8_t buf[4096];

static ssize_t recv_from(int fd, struct ut_addr *from)
{
	memset(from, 0, sizeof(*from));
	from->len = sizeof(from->sa);
	return recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from->sa, &from->len);
}

int main(int argc, char **argv)
{
	int r, u, b, i;
	char rn[64], bn[64];
	struct ut_addr ra, ba, none, a;
	static const int len[3] = { 10, 77, 3000 };
	static const int seed[3] = { 190, 192, 191 };
	ssize_t n;

	zdtm_init(argc, argv);
	snprintf(rn, sizeof(rn), "zdtm-abs-dgram.%s", ut_tag());
	snprintf(bn, sizeof(bn), "zdtm-abs-snd.%s", ut_tag());
	ra = ut_abstract_addr(rn, strlen(rn));
	ba = ut_abstract_addr(bn, strlen(bn));
	r = ut_socket(SOCK_DGRAM);
	u = ut_socket(SOCK_DGRAM);
	b = ut_socket(SOCK_DGRAM);
	if (ut_bind(r, &ra) || ut_bind(b, &ba))
		zdtm_fail("bind: %m");
	if (ut_sendto(u, "p", 1, &ra) != 1 || recv_from(r, &none) != 1)
		zdtm_fail("probe: %m");
	for (i = 0; i < 3; i++) {
		zdtm_fill(buf, len[i], seed[i]);
		if (ut_sendto(i == 1 ? b : u, buf, len[i], &ra) != len[i])
			zdtm_fail("sendto %d: %m", i);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("R", r, 0, &ra, NULL);
	ut_check_name("B", b, 0, &ba, NULL);
	for (i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		n = recv_from(r, &a);
		zdtm_check(n == len[i] && zdtm_verify(buf, n, seed[i]) < 0, "R: datagram %d: %zd bytes (%m), expected %d", i,
			   n, len[i]);
		zdtm_check(ut_addr_eq(&a, i == 1 ? &ba : &none), "R: datagram %d from %s, expected %s", i,
			   ut_addr_str(&a), ut_addr_str(i == 1 ? &ba : &none));
	}
	zdtm_check(ut_empty(r), "R: more datagrams than sent");
	zdtm_fill(buf, 500, 193);
	zdtm_check(ut_sendto(u, buf, 500, &ra) == 500, "sendto R's name after restore: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(recv_from(r, &a) == 500 && zdtm_verify(buf, 500, 193) < 0, "R: new datagram lost");
	zdtm_fill(buf, 60, 194);
	zdtm_check(ut_sendto(r, buf, 60, &ba) == 60, "sendto B's name after restore: %m");
	memset(buf, 0, sizeof(buf));
	zdtm_check(recv_from(b, &a) == 60 && zdtm_verify(buf, 60, 194) < 0 && ut_addr_eq(&a, &ra),
		   "B: R's reply lost or from %s", ut_addr_str(&a));
	zdtm_finish();
}
