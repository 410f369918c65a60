/*
 * unix_autobind: sockets with kernel-chosen (autobind) abstract names.
 *
 * State: dgram A bound with addrlen sizeof(sa_family_t) (explicit autobind); dgram B with
 * SO_PASSCRED, never bound, sent a datagram of 33 bytes (seed 220) to A: sending autobinds it;
 * stream listener L autobound the same explicit way, listen(L, 2), with one client C
 * connected (pending). Each name recorded; each must be a NUL and five hex digits (length 8).
 * A's queued datagram's source address recorded.
 * Check after SIGTERM: getsockname of A, B, L equal the recorded names (and still have the
 * autobind form); A's datagram arrives with B's name as its source; a datagram sent to A's
 * name reaches A, one sent to B's name reaches B; C's getpeername is L's name and accept
 * returns its connection; a new client connects to L's name.
 */
#include "unix_util.h"
#include <ctype.h>

static int autobind_form(const struct ut_addr *a)
{
	int i;
	if (a->len != offsetof(struct sockaddr_un, sun_path) + 6 || a->sa.sun_path[0])
		return 0;
	for (i = 1; i < 6; i++)
		if (!isxdigit((unsigned char)a->sa.sun_path[i]))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	int A, B, L, C, s, n, one = 1;
	struct ut_addr fam, na, nb, nl, src;
	uint8_t buf[256];
	ssize_t r;

	zdtm_init(argc, argv);
	memset(&fam, 0, sizeof(fam));
	fam.sa.sun_family = AF_UNIX;
	fam.len = UT_FAMILY_LEN;
	A = ut_socket(SOCK_DGRAM);
	B = ut_socket(SOCK_DGRAM);
	L = ut_socket(SOCK_STREAM);
	C = ut_socket(SOCK_STREAM);
	if (ut_bind(A, &fam) || ut_bind(L, &fam) || listen(L, 2))
		zdtm_fail("autobind: %m");
	na = ut_sockname(A);
	nl = ut_sockname(L);
	if (setsockopt(B, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		zdtm_fail("SO_PASSCRED: %m");
	zdtm_fill(buf, 33, 220);
	if (ut_sendto(B, buf, 33, &na) != 33)
		zdtm_fail("sendto A: %m");
	nb = ut_sockname(B);
	if (ut_connect(C, &nl))
		zdtm_fail("connect: %m");
	if (!autobind_form(&na) || !autobind_form(&nb) || !autobind_form(&nl) || ut_addr_eq(&na, &nb) ||
	    ut_addr_eq(&na, &nl) || ut_addr_eq(&nb, &nl))
		zdtm_fail("unexpected autobind names: %s %s %s", ut_addr_str(&na), ut_addr_str(&nb), ut_addr_str(&nl));
	zdtm_log("names A %s B %s L %s", ut_addr_str(&na), ut_addr_str(&nb), ut_addr_str(&nl));

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("A", A, 0, &na, NULL);
	ut_check_name("B", B, 0, &nb, NULL);
	ut_check_name("L", L, 0, &nl, NULL);
	memset(buf, 0, sizeof(buf));
	memset(&src, 0, sizeof(src));
	src.len = sizeof(src.sa);
	r = recvfrom(A, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&src.sa, &src.len);
	zdtm_check(r == 33 && zdtm_verify(buf, 33, 220) < 0, "A: queued datagram has %zd bytes (%m)", r);
	zdtm_check(ut_addr_eq(&src, &nb), "A: datagram from %s, expected B %s", ut_addr_str(&src), ut_addr_str(&nb));
	zdtm_check(ut_sendto(B, "to-A", 4, &na) == 4, "sendto A's name: %m");
	zdtm_check(recv(A, buf, sizeof(buf), MSG_DONTWAIT) == 4 && !memcmp(buf, "to-A", 4), "A: datagram to its name lost");
	zdtm_check(ut_sendto(A, "to-B", 4, &nb) == 4, "sendto B's name: %m");
	zdtm_check(recv(B, buf, sizeof(buf), MSG_DONTWAIT) == 4 && !memcmp(buf, "to-B", 4), "B: datagram to its name lost");
	ut_check_name("C", C, 1, &nl, NULL);
	s = ut_accept_nb(L);
	zdtm_check(s >= 0 && send(C, "c", 1, MSG_NOSIGNAL) == 1 && recv(s, buf, 4, MSG_DONTWAIT) == 1,
		   "L: C's pending connection lost (%m)");
	n = ut_socket(SOCK_STREAM);
	zdtm_check(ut_connect(n, &nl) == 0 && ut_accept_wait(L, 2000) >= 0, "new client to L's name: %m");
	zdtm_finish();
}
