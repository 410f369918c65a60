/*
 * unix_dgram_connect: a one-way dgram connection: A (bound to DIR/a) connect()ed to B (bound
 * to DIR/b); B is not connected to anything.
 *
 * State: A sent B datagrams of 300 and 20 bytes (seeds 240, 241) with send(); an unbound C
 * sent B one of 64 bytes (seed 242) with sendto() between them.
 * Check after SIGTERM: getpeername(A) = DIR/b; getpeername(B) ENOTCONN; getsockname(A), (B)
 * their paths; B receives 300 bytes from DIR/a, 64 from C (no address), 20 from DIR/a, then
 * EAGAIN. A connected socket accepts datagrams from its peer only: B -> A (sendto DIR/a)
 * arrives, C -> A is refused with EPERM; B still takes datagrams from anyone (C -> B arrives);
 * send() on A without an address reaches B; send() on B without one gives ENOTCONN.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int A, B, C, i, tmp;
	const char *dir, *pa, *pb;
	struct ut_addr aa, ba, none, a;
	uint8_t buf[1024];
	static const int len[3] = { 300, 64, 20 }, seed[3] = { 240, 242, 241 };
	ssize_t n;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	aa = ut_sock_addr(dir, "a", &pa);
	ba = ut_sock_addr(dir, "b", &pb);
	A = ut_socket(SOCK_DGRAM);
	B = ut_socket(SOCK_DGRAM);
	C = ut_socket(SOCK_DGRAM);
	if (ut_bind(A, &aa) || ut_bind(B, &ba) || ut_connect(A, &ba))
		zdtm_fail("bind/connect: %m");
	if (ut_sendto(C, "p", 1, &ba) != 1)
		zdtm_fail("probe: %m");
	memset(&none, 0, sizeof(none));
	none.len = sizeof(none.sa);
	if (recvfrom(B, buf, sizeof(buf), 0, (struct sockaddr *)&none.sa, &none.len) != 1)
		zdtm_fail("probe: %m");
	for (i = 0; i < 3; i++) {
		zdtm_fill(buf, len[i], seed[i]);
		if ((i == 1 ? ut_sendto(C, buf, len[i], &ba) : send(A, buf, len[i], 0)) != len[i])
			zdtm_fail("datagram %d: %m", i);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("A", A, 1, &ba, NULL);
	ut_check_notconn("B", B);
	ut_check_name("A", A, 0, &aa, NULL);
	ut_check_name("B", B, 0, &ba, NULL);
	for (i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		memset(&a, 0, sizeof(a));
		a.len = sizeof(a.sa);
		n = recvfrom(B, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&a.sa, &a.len);
		zdtm_check(n == len[i] && zdtm_verify(buf, n, seed[i]) < 0, "B: datagram %d: %zd bytes (%m), expected %d", i,
			   n, len[i]);
		zdtm_check(ut_addr_eq(&a, i == 1 ? &none : &aa), "B: datagram %d from %s", i, ut_addr_str(&a));
	}
	zdtm_check(ut_empty(B), "B: more datagrams than sent");

	zdtm_check(ut_sendto(B, "b2a", 3, &aa) == 3, "B -> A: %m");
	zdtm_check(recv(A, buf, sizeof(buf), MSG_DONTWAIT) == 3 && !memcmp(buf, "b2a", 3), "A: B's datagram lost");
	errno = 0;
	n = ut_sendto(C, "c2a", 3, &aa);
	zdtm_check(n == -1 && errno == EPERM, "C -> A: %zd (%m), expected EPERM (A is connected to B)", n);
	zdtm_check(ut_empty(A), "A: received a datagram from a stranger");
	zdtm_check(ut_sendto(C, "c2b", 3, &ba) == 3, "C -> B: %m");
	zdtm_check(recv(B, buf, sizeof(buf), MSG_DONTWAIT) == 3 && !memcmp(buf, "c2b", 3), "B: C's datagram lost");
	zdtm_check(send(A, "a2b", 3, MSG_NOSIGNAL) == 3, "A: send to its peer: %m");
	zdtm_check(recv(B, buf, sizeof(buf), MSG_DONTWAIT) == 3 && !memcmp(buf, "a2b", 3), "B: A's datagram lost");
	errno = 0;
	n = send(B, "x", 1, MSG_NOSIGNAL);
	zdtm_check(n == -1 && errno == ENOTCONN, "B: send without address: %zd (%m), expected ENOTCONN", n);
	unlink(pa);
	unlink(pb);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
