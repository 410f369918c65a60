/*
 * unix_scm_creds: messages queued with SCM_CREDENTIALS from different senders and with different
 * credentials, on a receiver with SO_PASSCRED.
 *
 * State: a dgram pair (R, S) and a stream pair (R2, S2); R and R2 have SO_PASSCRED. Into each, in
 * this order: message A sent by this process without explicit credentials; message K sent by a
 * child process (it holds S and S2 and waits); message B sent by this process with explicit
 * SCM_CREDENTIALS: as root uid 4321 / gid 4322, otherwise its own ids. Each message is a pattern of
 * its own seed and length.
 * Check after SIGTERM: R receives A, K, B in order with sizes, contents and credentials (pid, uid,
 * gid): A this pid and ids, K the child's pid, B the explicit ids; R2 reads the stream in three
 * pieces split at the credential changes (the kernel does not merge bytes of different senders),
 * each with its credentials and contents; then nothing more (nor at the sending ends); the child,
 * woken with SIGTERM, sends one more message (its credentials and pid still right) and exits 0.
 */
#include "unix_util.h"
#include <sys/wait.h>

static const int lens[3] = { 40, 333, 1000 };	/* A, K, B */
static const int lens2[3] = { 500, 60, 7 };

/* A message with explicit SCM_CREDENTIALS cr, or (cr NULL) without a control message. */
static ssize_t send_creds(int fd, const void *buf, size_t len, const struct ucred *cr)
{
	return ut_send_cmsg(fd, buf, len, SCM_CREDENTIALS, cr, sizeof(*cr), MSG_NOSIGNAL);
}

static uint8_t buf[4096];

int main(int argc, char **argv)
{
	int d[2], s[2], sync_p[2], i, have, st = 0;
	struct ucred want[3], cr, ex;
	pid_t child;
	char b;

	zdtm_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) || socketpair(AF_UNIX, SOCK_STREAM, 0, s) || pipe(sync_p))
		zdtm_fail("socketpair/pipe: %m");
	if (ut_setint(d[0], SOL_SOCKET, SO_PASSCRED, 1) || ut_setint(s[0], SOL_SOCKET, SO_PASSCRED, 1))
		zdtm_fail("SO_PASSCRED: %m");
	ex.pid = getpid();
	ex.uid = geteuid() == 0 ? 4321 : getuid();
	ex.gid = geteuid() == 0 ? 4322 : getgid();

	zdtm_fill(buf, lens[0], 280);
	if (send_creds(d[1], buf, lens[0], NULL) != lens[0])
		zdtm_fail("send A: %m");
	zdtm_fill(buf, lens2[0], 290);
	if (send_creds(s[1], buf, lens2[0], NULL) != lens2[0])
		zdtm_fail("send A2: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		close(d[0]);
		close(s[0]);
		close(sync_p[0]);
		zdtm_fill(buf, lens[1], 281);
		if (send_creds(d[1], buf, lens[1], NULL) != lens[1])
			_exit(3);
		zdtm_fill(buf, lens2[1], 291);
		if (send_creds(s[1], buf, lens2[1], NULL) != lens2[1])
			_exit(3);
		if (write(sync_p[1], "k", 1) != 1)
			_exit(3);
		close(sync_p[1]);
		zdtm_wait_for_term();
		_exit(send_creds(d[1], "late", 4, NULL) == 4 ? 0 : 4);
	}
	close(sync_p[1]);
	if (read(sync_p[0], &b, 1) != 1)
		zdtm_fail("the child did not send");
	close(sync_p[0]);
	zdtm_fill(buf, lens[2], 282);
	if (send_creds(d[1], buf, lens[2], &ex) != lens[2])
		zdtm_fail("send B: %m");
	zdtm_fill(buf, lens2[2], 292);
	if (send_creds(s[1], buf, lens2[2], &ex) != lens2[2])
		zdtm_fail("send B2: %m");
	want[0].pid = getpid();
	want[0].uid = getuid();
	want[0].gid = getgid();
	want[1] = want[0];
	want[1].pid = child;
	want[2] = ex;

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < 3; i++) {
		ssize_t n;
		memset(buf, 0, sizeof(buf));
		n = ut_recv_creds(d[0], buf, sizeof(buf), &cr, &have, 0);
		zdtm_check(n == lens[i] && zdtm_verify(buf, n, 280 + i) < 0, "dgram %c: %zd bytes, expected %d", "AKB"[i],
			   n, lens[i]);
		zdtm_check(have && cr.pid == want[i].pid && cr.uid == want[i].uid && cr.gid == want[i].gid,
			   "dgram %c: credentials %s%d/%d/%d, expected %d/%d/%d", "AKB"[i], have ? "" : "missing ", cr.pid,
			   cr.uid, cr.gid, want[i].pid, want[i].uid, want[i].gid);
		memset(buf, 0, sizeof(buf));
		n = ut_recv_creds(s[0], buf, sizeof(buf), &cr, &have, 0);
		zdtm_check(n == lens2[i] && zdtm_verify(buf, n, 290 + i) < 0, "stream %c: read %zd bytes, expected %d",
			   "AKB"[i], n, lens2[i]);
		zdtm_check(have && cr.pid == want[i].pid && cr.uid == want[i].uid && cr.gid == want[i].gid,
			   "stream %c: credentials %s%d/%d/%d, expected %d/%d/%d", "AKB"[i], have ? "" : "missing ",
			   cr.pid, cr.uid, cr.gid, want[i].pid, want[i].uid, want[i].gid);
	}
	zdtm_check(ut_empty(d[0]) && ut_empty(s[0]), "more data than sent");
	zdtm_check(ut_empty(d[1]) && ut_empty(s[1]), "data queued towards the sending ends");
	kill(child, SIGTERM);
	{
		ssize_t n = ut_recv_creds(d[0], buf, sizeof(buf), &cr, &have, 5000);
		zdtm_check(n == 4 && !memcmp(buf, "late", 4) && have && cr.pid == child && cr.uid == getuid(),
			   "the child's new message: %zd bytes, pid %d", n, cr.pid);
	}
	zdtm_check(waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "child ended with %#x", st);
	zdtm_finish();
}
