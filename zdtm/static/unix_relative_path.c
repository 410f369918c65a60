/*
 * unix_relative_path: sockets bound to relative path names, after which the process moved
 * to another directory.
 *
 * State: chdir(DIR); stream listener L bound to "sock.rel", listen(L, 2); dgram D bound to
 * "dg.rel" holding a datagram of 99 bytes (seed 260); client C connected to "sock.rel"
 * (pending, not accepted); then chdir(OTHER), an empty directory.
 * Check after SIGTERM: getsockname(L) is "sock.rel", getsockname(D) "dg.rel", getpeername(C)
 * "sock.rel": the relative names, as bound; the cwd is still OTHER (path and inode); the
 * sockets live at DIR/sock.rel and DIR/dg.rel (socket files; nothing created in OTHER, so the
 * relative names do not resolve from here: ENOENT); D's datagram; C's connection is accepted
 * and talks; a new client connecting to the absolute DIR/sock.rel is accepted and a datagram
 * sent to DIR/dg.rel reaches D.
 */
#include "unix_util.h"

int main(int argc, char **argv)
{
	int L, D, C, S, n, tmp;
	const char *dir, *other, *pl, *pd;
	char cwd[PATH_MAX];
	struct ut_addr rl, rd, al, ad;
	struct stat st_other, st;
	uint8_t buf[256];
	ssize_t r;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	other = zdtm_tmp_path("cwd");
	if (mkdir(other, 0755) && errno != EEXIST)
		zdtm_fail("mkdir %s: %m", other);
	al = ut_sock_addr(dir, "sock.rel", &pl);
	ad = ut_sock_addr(dir, "dg.rel", &pd);
	rl = ut_path_addr("sock.rel");
	rd = ut_path_addr("dg.rel");
	L = ut_socket(SOCK_STREAM);
	D = ut_socket(SOCK_DGRAM);
	C = ut_socket(SOCK_STREAM);
	n = ut_socket(SOCK_DGRAM);
	if (chdir(dir))
		zdtm_fail("chdir %s: %m", dir);
	if (ut_bind(L, &rl) || listen(L, 2) || ut_bind(D, &rd) || ut_connect(C, &rl))
		zdtm_fail("bind/connect relative: %m");
	zdtm_fill(buf, 99, 260);
	if (ut_sendto(n, buf, 99, &rd) != 99)
		zdtm_fail("sendto: %m");
	close(n);
	if (chdir(other) || stat(".", &st_other) || !getcwd(cwd, sizeof(cwd)))
		zdtm_fail("chdir %s: %m", other);

	zdtm_ready();
	zdtm_wait_for_term();

	ut_check_name("L", L, 0, &rl, NULL);
	ut_check_name("D", D, 0, &rd, NULL);
	ut_check_name("C", C, 1, &rl, NULL);
	{
		char now[PATH_MAX];
		zdtm_check(getcwd(now, sizeof(now)) && !strcmp(now, cwd) && stat(".", &st) == 0 &&
			   st.st_ino == st_other.st_ino && st.st_dev == st_other.st_dev, "cwd is not %s any more", cwd);
	}
	zdtm_check(ut_is_sock_file(pl, &st), "%s is not a socket file", pl);
	zdtm_check(ut_is_sock_file(pd, &st), "%s is not a socket file", pd);
	errno = 0;
	zdtm_check(lstat("sock.rel", &st) == -1 && errno == ENOENT, "sock.rel exists in the cwd (%m)");
	errno = 0;
	zdtm_check(lstat("dg.rel", &st) == -1 && errno == ENOENT, "dg.rel exists in the cwd (%m)");
	memset(buf, 0, sizeof(buf));
	r = recv(D, buf, sizeof(buf), MSG_DONTWAIT);
	zdtm_check(r == 99 && zdtm_verify(buf, 99, 260) < 0 && ut_empty(D), "D: queued datagram %zd bytes (%m)", r);
	S = ut_accept_nb(L);
	if (zdtm_check(S >= 0, "L: C's pending connection lost: %m"))
		zdtm_check(send(C, "rel", 3, MSG_NOSIGNAL) == 3 && ut_read_full(S, buf, 3, 1000) == 3 &&
			   !memcmp(buf, "rel", 3), "C -> S failed");
	n = ut_socket(SOCK_STREAM);
	zdtm_check(ut_connect(n, &al) == 0 && ut_accept_wait(L, 2000) >= 0, "connect to %s: %m", pl);
	n = ut_socket(SOCK_DGRAM);
	zdtm_check(ut_sendto(n, "abs", 3, &ad) == 3 && recv(D, buf, sizeof(buf), MSG_DONTWAIT) == 3 &&
		   !memcmp(buf, "abs", 3), "datagram to %s lost (%m)", pd);
	unlink(pl);
	unlink(pd);
	rmdir(other);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
