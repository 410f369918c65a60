/*
 * unix_tree_shared_end: one socket end open in two processes (one open file shared by a
 * parent and its child), the other end in the parent only.
 *
 * State: socketpair(SOCK_STREAM) E, F, then fork: the root R holds E and F, its child C holds
 * E only (the same open file). C set O_NONBLOCK on E (so R sees it: shared flags), sent 100
 * bytes (seed 330) on E, then R sent 200 (seed 331) on E: F has C's then R's bytes queued. F
 * sent 300 bytes (seed 332) towards E, for C to read.
 * Check after SIGTERM: R: E is O_NONBLOCK (set by C); kcmp(KCMP_FILE) says R's and C's E are
 * one file (when kcmp works), and C reports the inode of its E: the same as R's; F holds
 * 300 bytes: C's 100 then R's 200; C reads the 300 bytes from E, reports its checks over E
 * and exits 0; after that F must not see EOF (R still holds E), and does once R closes E.
 */
#include "unix_util.h"
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/kcmp.h>

struct report {
	uint64_t ino;
	int32_t failures;
	int32_t fl;
};

int main(int argc, char **argv)
{
	int sv[2], E, F, sync_p[2], status = 0, r;
	struct stat st;
	struct report rep = { 0, -1, 0 };
	pid_t c;
	char b;
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, sv);
	if (pipe(sync_p))
		zdtm_fail("pipe: %m");
	E = sv[0];
	F = sv[1];
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		close(F);
		close(sync_p[0]);
		fcntl(E, F_SETFL, fcntl(E, F_GETFL) | O_NONBLOCK);
		if (ut_send_pattern(E, 100, 330, 0) || write(sync_p[1], "c", 1) != 1)
			_exit(3);
		close(sync_p[1]);
		zdtm_wait_for_term();
		zdtm_check(ut_read_pattern(E, 300, 332, 0, 2000, &got), "C: read %zu of F's 300 bytes", got);
		zdtm_check(ut_empty(E), "C: more data than F sent");
		fstat(E, &st);
		rep.ino = st.st_ino;
		rep.fl = fcntl(E, F_GETFL);
		rep.failures = zdtm_failures();
		_exit(ut_send_all(E, &rep, sizeof(rep)) == 0 && rep.failures == 0 ? 0 : 1);
	}
	close(sync_p[1]);
	if (read(sync_p[0], &b, 1) != 1)
		zdtm_fail("the child did not report");
	close(sync_p[0]);
	if (ut_send_pattern(E, 200, 331, 0))
		zdtm_fail("send E: %m");
	if (ut_send_pattern(F, 300, 332, 0))
		zdtm_fail("send F: %m");
	if (!(fcntl(E, F_GETFL) & O_NONBLOCK))
		zdtm_fail("the child's O_NONBLOCK is not seen here");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fcntl(E, F_GETFL) & O_NONBLOCK, "R: E lost the O_NONBLOCK its child set (not one open file?)");
	r = syscall(SYS_kcmp, getpid(), c, KCMP_FILE, E, E);
	if (r < 0)
		zdtm_log("kcmp: %m (relying on the inode)");
	else
		zdtm_check(r == 0, "kcmp: R's and C's E are different files (%d)", r);
	zdtm_check(ut_inq(F) == 300, "F: %d bytes queued, expected 300", ut_inq(F));
	zdtm_check(ut_read_pattern(F, 100, 330, 0, 1000, NULL), "F: the first 100 bytes are not C's");
	zdtm_check(ut_read_pattern(F, 200, 331, 0, 1000, NULL), "F: the next 200 bytes are not R's");
	zdtm_check(ut_empty(F), "F: more data than sent");
	kill(c, SIGTERM);
	got = ut_read_full(F, &rep, sizeof(rep), 5000);
	zdtm_check(got == sizeof(rep) && rep.failures == 0, "C's report: %zu bytes, %d failures", got, rep.failures);
	fstat(E, &st);
	zdtm_check(rep.ino == st.st_ino, "C's E is inode %llu, R's %llu: not the same socket",
		   (unsigned long long)rep.ino, (unsigned long long)st.st_ino);
	zdtm_check(rep.fl == fcntl(E, F_GETFL), "C's E has flags %#x, R's %#x", rep.fl, fcntl(E, F_GETFL));
	zdtm_check(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0, "C ended with %#x",
		   status);
	ut_check_eof_at_close("F", F, E, "R still holds E", 300, 5000);
	zdtm_finish();
}
