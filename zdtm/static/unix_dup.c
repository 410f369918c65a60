/*
 * unix_dup: one AF_UNIX socket open under three fd numbers (dup and dup2), one open file.
 *
 * State: socketpair(SOCK_STREAM) S, P; A = dup(S), B = dup2(S, 200); O_NONBLOCK set through A
 * (a file status flag: shared by S, A, B), FD_CLOEXEC set on B only (an fd flag); S sent 400
 * bytes (seed 340) to P, P sent 250 (seed 341) towards S.
 * Check after SIGTERM: S, A and B are the same socket (fstat inode and device equal, and
 * kcmp(KCMP_FILE) 0 when it works), P a different one; all three O_NONBLOCK; FD_CLOEXEC on B
 * only; P holds S's 400 bytes; 100 of P's bytes read through A, the other 150 through B, in
 * stream order; a flag change through B shows on S; data sent through each of S, A, B reaches
 * P; closing S and A does not end the connection (P sees no EOF while B is open), closing B
 * does.
 */
#include "unix_util.h"
#include <sys/syscall.h>
#include <linux/kcmp.h>

int main(int argc, char **argv)
{
	int sv[2], S, P, A, B, i, fds[3], r;
	struct stat st[3], sp;
	uint8_t buf[4];
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	S = sv[0];
	P = sv[1];
	A = dup(S);
	B = dup2(S, 200);
	if (A < 0 || B != 200)
		zdtm_fail("dup: %m");
	if (fcntl(A, F_SETFL, fcntl(A, F_GETFL) | O_NONBLOCK) || fcntl(B, F_SETFD, FD_CLOEXEC))
		zdtm_fail("fcntl: %m");
	if (ut_send_pattern(S, 400, 340, 0))
		zdtm_fail("send S: %m");
	if (ut_send_pattern(P, 250, 341, 0))
		zdtm_fail("send P: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	fds[0] = S;
	fds[1] = A;
	fds[2] = B;
	for (i = 0; i < 3; i++)
		zdtm_check(fstat(fds[i], &st[i]) == 0 && S_ISSOCK(st[i].st_mode), "fd %d: not a socket", fds[i]);
	zdtm_check(fstat(P, &sp) == 0, "P: fstat: %m");
	zdtm_check(st[0].st_ino == st[1].st_ino && st[0].st_ino == st[2].st_ino && st[0].st_dev == st[1].st_dev &&
		   st[0].st_dev == st[2].st_dev, "S, A, B are inodes %llu, %llu, %llu: not one socket",
		   (unsigned long long)st[0].st_ino, (unsigned long long)st[1].st_ino, (unsigned long long)st[2].st_ino);
	zdtm_check(sp.st_ino != st[0].st_ino, "P is the same inode as S");
	for (i = 1; i < 3; i++) {
		r = syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, S, fds[i]);
		if (r < 0)
			zdtm_log("kcmp: %m");
		else
			zdtm_check(r == 0, "kcmp: fd %d is not the same open file as S", fds[i]);
	}
	for (i = 0; i < 3; i++) {
		zdtm_check(fcntl(fds[i], F_GETFL) & O_NONBLOCK, "fd %d: O_NONBLOCK lost", fds[i]);
		zdtm_check((fcntl(fds[i], F_GETFD) & FD_CLOEXEC) == (i == 2 ? FD_CLOEXEC : 0), "fd %d: FD_CLOEXEC %d",
			   fds[i], fcntl(fds[i], F_GETFD));
	}
	zdtm_check(fcntl(P, F_GETFL) == O_RDWR && fcntl(P, F_GETFD) == 0, "P: flags %#x/%#x", fcntl(P, F_GETFL),
		   fcntl(P, F_GETFD));
	zdtm_check(ut_read_pattern(P, 400, 340, 0, 1000, &got) && ut_empty(P), "P: read %zu of S's 400 bytes", got);
	zdtm_check(ut_read_pattern(A, 100, 341, 0, 1000, NULL), "A: the first 100 bytes of P's differ");
	zdtm_check(ut_read_pattern(B, 150, 341, 100, 1000, NULL), "B: the last 150 bytes of P's differ");
	zdtm_check(ut_empty(S), "S: more data than P sent");
	fcntl(B, F_SETFL, fcntl(B, F_GETFL) & ~O_NONBLOCK);
	zdtm_check(!(fcntl(S, F_GETFL) & O_NONBLOCK), "clearing O_NONBLOCK through B did not show on S");
	for (i = 0; i < 3; i++) {
		uint8_t t = 'a' + i;
		zdtm_check(send(fds[i], &t, 1, MSG_NOSIGNAL) == 1, "fd %d: send: %m", fds[i]);
		zdtm_check(recv(P, buf, 4, MSG_DONTWAIT) == 1 && buf[0] == t, "P: byte from fd %d lost", fds[i]);
	}
	close(S);
	close(A);
	ut_check_eof_at_close("P", P, B, "B is still open", 200, 2000);
	zdtm_finish();
}
