/*
 * unix_tree_pair: socketpairs whose ends live in different processes, with data queued both
 * ways.
 *
 * State: root R and its child C share a stream pair (R holds end 0, C end 1) and a dgram pair
 * (same); each closed the other's ends. R sent C 2000 stream bytes (seed 310) and datagrams
 * of 100 and 4000 bytes (seeds 311, 312); C sent R 3000 stream bytes (seed 320) and datagrams
 * of 1, 0 and 999 bytes (seeds 321-323). C then waits for SIGTERM.
 * Check after SIGTERM: R finds 3000 bytes queued on the stream and C's three datagrams (sizes,
 * order, contents); R sends 500 more stream bytes (seed 310 continued) and wakes C; C checks
 * its stream holds 2500 bytes and reads them, then R's two datagrams, and replies with a CRC
 * of everything it read and its failure count over the stream, then exits (0 if its checks
 * passed); R checks the reply, C's exit status and that its stream end then reads EOF (no copy
 * of C's end left anywhere) and its dgram end gets ECONNREFUSED on send (peer gone).
 */
#include "unix_util.h"
#include <sys/wait.h>

static const int r_dg[2] = { 100, 4000 };
static const int c_dg[3] = { 1, 0, 999 };
static uint8_t buf[8192];

int main(int argc, char **argv)
{
	int st[2], dg[2], sync_p[2], i, status = 0;
	pid_t c;
	uint32_t crc, want_crc = 0;
	char b;
	ssize_t n;
	size_t got;

	zdtm_init(argc, argv);
	ut_pair(SOCK_STREAM, st);
	ut_pair(SOCK_DGRAM, dg);
	if (pipe(sync_p))
		zdtm_fail("pipe: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		struct {
			uint32_t crc;
			int32_t failures;
		} rep;
		close(st[0]);
		close(dg[0]);
		close(sync_p[0]);
		if (ut_send_pattern(st[1], 3000, 320, 0))
			_exit(3);
		for (i = 0; i < 3; i++) {
			zdtm_fill(buf, c_dg[i], 321 + i);
			if (send(dg[1], buf, c_dg[i], 0) != c_dg[i])
				_exit(3);
		}
		if (write(sync_p[1], "c", 1) != 1)
			_exit(3);
		close(sync_p[1]);
		zdtm_wait_for_term();
		/* R has added 500 bytes before waking us */
		zdtm_check(ut_inq(st[1]) == 2500, "C: stream holds %d bytes, expected 2500", ut_inq(st[1]));
		memset(buf, 0, sizeof(buf));
		got = ut_read_full(st[1], buf, 2500, 2000);
		zdtm_check(got == 2500 && zdtm_verify(buf, 2500, 310) < 0, "C: read %zu of 2500 stream bytes", got);
		rep.crc = zdtm_crc32(0, buf, got);
		for (i = 0; i < 2; i++) {
			memset(buf, 0, sizeof(buf));
			n = recv(dg[1], buf, sizeof(buf), MSG_DONTWAIT);
			zdtm_check(n == r_dg[i] && zdtm_verify(buf, n, 311 + i) < 0, "C: datagram %d: %zd bytes", i, n);
			if (n > 0)
				rep.crc = zdtm_crc32(rep.crc, buf, n);
		}
		zdtm_check(ut_empty(dg[1]), "C: more datagrams than R sent");
		rep.failures = zdtm_failures();
		_exit(ut_send_all(st[1], &rep, sizeof(rep)) == 0 && rep.failures == 0 ? 0 : 1);
	}
	close(st[1]);
	close(dg[1]);
	close(sync_p[1]);
	if (ut_send_pattern(st[0], 2000, 310, 0))
		zdtm_fail("send stream: %m");
	for (i = 0; i < 2; i++) {
		zdtm_fill(buf, r_dg[i], 311 + i);
		if (send(dg[0], buf, r_dg[i], 0) != r_dg[i])
			zdtm_fail("send datagram: %m");
	}
	if (read(sync_p[0], &b, 1) != 1)
		zdtm_fail("the child did not report");
	close(sync_p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(ut_inq(st[0]) == 3000, "R: stream holds %d bytes, expected 3000", ut_inq(st[0]));
	zdtm_check(ut_read_pattern(st[0], 3000, 320, 0, 1000, &got), "R: read %zu of C's 3000 bytes", got);
	zdtm_check(ut_empty(st[0]), "R: more stream data than C sent");
	for (i = 0; i < 3; i++) {
		memset(buf, 0, sizeof(buf));
		n = recv(dg[0], buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == c_dg[i] && zdtm_verify(buf, n, 321 + i) < 0, "R: datagram %d: %zd bytes (%m), expected %d",
			   i, n, c_dg[i]);
	}
	zdtm_check(ut_empty(dg[0]), "R: more datagrams than C sent");
	zdtm_check(ut_send_pattern(st[0], 500, 310, 2000) == 0, "R: send: %m");
	kill(c, SIGTERM);
	{
		struct {
			uint32_t crc;
			int32_t failures;
		} rep = { 0, -1 };
		zdtm_fill(buf, 2500, 310);
		want_crc = zdtm_crc32(0, buf, 2500);
		for (i = 0; i < 2; i++) {
			zdtm_fill(buf, r_dg[i], 311 + i);
			want_crc = zdtm_crc32(want_crc, buf, r_dg[i]);
		}
		got = ut_read_full(st[0], &rep, sizeof(rep), 5000);
		crc = rep.crc;
		zdtm_check(got == sizeof(rep) && rep.failures == 0, "R: C's reply: %zu bytes, %d failures", got,
			   rep.failures);
		zdtm_check(crc == want_crc, "R: C read other data than R sent (crc %#x, expected %#x)", crc, want_crc);
	}
	zdtm_check(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0, "C ended with %#x",
		   status);
	n = ut_recv_wait(st[0], buf, 1, 0, 5000);
	zdtm_check(n == 0, "R: stream after C exited: %zd (%m), expected EOF", n);
	errno = 0;
	n = send(dg[0], "x", 1, MSG_NOSIGNAL);
	zdtm_check(n == -1 && errno == ECONNREFUSED, "R: dgram send after C exited: %zd (%m), expected ECONNREFUSED", n);
	zdtm_finish();
}
