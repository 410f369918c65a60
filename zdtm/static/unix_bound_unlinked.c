/*
 * unix_bound_unlinked: sockets whose bound path names were unlinked after bind().
 *
 * State: dgram B bound to DIR/gone, dgram A connect()ed to it and sent it 123 bytes (seed 250);
 * stream listener L bound to DIR/gonel, listen(L, 2), client C connected (pending) and sent
 * 77 bytes (seed 251); then both paths unlinked: DIR is empty.
 * Check after SIGTERM: getsockname(B) = DIR/gone and getsockname(L) = DIR/gonel still (the
 * name stays with the socket); neither path exists and DIR is still empty (the restore left
 * no socket file behind); getpeername(A) = DIR/gone and A still reaches B: the queued 123
 * bytes, then a new datagram; sendto DIR/gone from a new socket gives ENOENT; C's
 * getpeername = DIR/gonel, its connection is accepted with its 77 bytes and talks back; a new
 * connect to DIR/gonel gives ENOENT.
 */
#include "unix_util.h"
#include <dirent.h>

static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	int A, B, L, C, S, n, tmp;
	const char *dir, *pg, *pl;
	struct ut_addr ga, la;
	struct stat st;
	uint8_t buf[512];
	ssize_t r;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	ga = ut_sock_addr(dir, "gone", &pg);
	la = ut_sock_addr(dir, "gonel", &pl);
	A = ut_socket(SOCK_DGRAM);
	B = ut_socket(SOCK_DGRAM);
	L = ut_socket(SOCK_STREAM);
	C = ut_socket(SOCK_STREAM);
	if (ut_bind(B, &ga) || ut_connect(A, &ga) || ut_bind(L, &la) || listen(L, 2) || ut_connect(C, &la))
		zdtm_fail("bind/connect: %m");
	zdtm_fill(buf, 123, 250);
	if (send(A, buf, 123, 0) != 123)
		zdtm_fail("send A: %m");
	if (ut_send_pattern(C, 77, 251, 0))
		zdtm_fail("send C: %m");
	if (unlink(pg) || unlink(pl))
		zdtm_fail("unlink: %m");
	if (dir_entries(dir) != 0)
		zdtm_fail("%s not empty", dir);

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("B", B, 0, &ga, NULL);
	ut_check_name("L", L, 0, &la, NULL);
	errno = 0;
	zdtm_check(lstat(pg, &st) == -1 && errno == ENOENT, "%s exists again (%m)", pg);
	errno = 0;
	zdtm_check(lstat(pl, &st) == -1 && errno == ENOENT, "%s exists again (%m)", pl);
	zdtm_check(dir_entries(dir) == 0, "%s has %d entries, expected none", dir, dir_entries(dir));
	ut_check_name("A", A, 1, &ga, NULL);
	memset(buf, 0, sizeof(buf));
	r = recv(B, buf, sizeof(buf), MSG_DONTWAIT);
	zdtm_check(r == 123 && zdtm_verify(buf, 123, 250) < 0, "B: queued datagram %zd bytes (%m)", r);
	zdtm_check(ut_empty(B), "B: more than one datagram");
	zdtm_check(send(A, "again", 5, MSG_NOSIGNAL) == 5, "A: send: %m");
	zdtm_check(recv(B, buf, sizeof(buf), MSG_DONTWAIT) == 5 && !memcmp(buf, "again", 5), "B: A's new datagram lost");
	n = ut_socket(SOCK_DGRAM);
	errno = 0;
	r = ut_sendto(n, "x", 1, &ga);
	zdtm_check(r == -1 && errno == ENOENT, "sendto the unlinked path: %zd (%m), expected ENOENT", r);
	close(n);

	ut_check_name("C", C, 1, &la, NULL);
	S = ut_accept_nb(L);
	if (zdtm_check(S >= 0, "L: pending connection lost: %m")) {
		zdtm_check(ut_read_pattern(S, 77, 251, 0, 1000, NULL) && ut_empty(S), "S: C's 77 bytes differ");
		zdtm_check(send(S, "back", 4, MSG_NOSIGNAL) == 4 && ut_read_full(C, buf, 4, 1000) == 4 &&
			   !memcmp(buf, "back", 4), "S -> C failed");
	}
	n = ut_socket(SOCK_STREAM);
	errno = 0;
	zdtm_check(ut_connect(n, &la) == -1 && errno == ENOENT, "connect to the unlinked path: %m, expected ENOENT");
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
