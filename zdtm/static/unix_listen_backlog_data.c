/*
 * unix_listen_backlog_data: unaccepted connections in a stream listener's backlog carrying
 * data their clients wrote before the checkpoint; one client already closed.
 *
 * State: listener bound to DIR/backlogd, listen(fd, 5); clients connected in order:
 * C0 wrote 100 bytes (seed 130); C1 wrote 2000 then 3000 bytes (one pattern, seed 131);
 * C2 wrote 30000 bytes (seed 132) and was closed; C3 wrote nothing. Nothing accepted;
 * C0, C1, C3 held.
 * Check after SIGTERM: accept returns four connections then EAGAIN; in connect order,
 * connection i holds client i's bytes (SIOCINQ 100, 5000, 30000, 0) and reads exactly them;
 * then connection 2 reads EOF (0) and its send gives EPIPE, connections 0, 1, 3 have nothing
 * more (EAGAIN); replies of 256 bytes from connections 0, 1, 3 reach their clients, and data
 * from those clients reaches them.
 */
#include "unix_util.h"

#define NC 4

static const int sent[NC] = { 100, 5000, 30000, 0 };
static uint8_t buf[32768];

int main(int argc, char **argv)
{
	int l, tmp, c[NC], s[NC], i;
	const char *dir, *path;
	struct ut_addr want;
	ssize_t n;
	size_t got;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	want = ut_sock_addr(dir, "backlogd", &path);
	l = ut_listener(SOCK_STREAM, &want, 5);
	for (i = 0; i < NC; i++) {
		c[i] = ut_connected(SOCK_STREAM, &want);
		zdtm_fill(buf, sent[i], 130 + i);
		if (i == 1) {
			if (send(c[i], buf, 2000, 0) != 2000 || send(c[i], buf + 2000, 3000, 0) != 3000)
				zdtm_fail("send %d: %m", i);
		} else if (sent[i] && ut_send_all(c[i], buf, sent[i]))
			zdtm_fail("send %d: %m", i);
	}
	close(c[2]);
	c[2] = -1;

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NC; i++) {
		s[i] = ut_accept_nb(l);
		if (!zdtm_check(s[i] >= 0, "accept %d: %m (%d connections were pending)", i, NC))
			zdtm_finish();
	}
	zdtm_check(ut_accept_nb(l) == -1 && errno == EAGAIN, "a fifth connection was pending (%m)");
	for (i = 0; i < NC; i++) {
		zdtm_check(ut_inq(s[i]) == sent[i], "connection %d: SIOCINQ %d, expected %d", i, ut_inq(s[i]),
			   sent[i]);
		memset(buf, 0, sizeof(buf));
		got = sent[i] ? ut_read_full(s[i], buf, sent[i], 1000) : 0;
		zdtm_check(got == (size_t)sent[i] && zdtm_verify(buf, got, 130 + i) < 0,
			   "connection %d: read %zu of %d bytes, bad at %zd", i, got, sent[i], zdtm_verify(buf, got, 130 + i));
		errno = 0;
		n = recv(s[i], buf, 1, MSG_DONTWAIT);
		if (i == 2) {
			zdtm_check(n == 0, "connection 2: after the data recv gave %zd (%m), expected EOF", n);
			errno = 0;
			n = send(s[i], "x", 1, MSG_NOSIGNAL);
			zdtm_check(n == -1 && errno == EPIPE, "connection 2: send gave %zd (%m), expected EPIPE", n);
			continue;
		}
		zdtm_check(n == -1 && errno == EAGAIN, "connection %d: after the data recv gave %zd (%m)", i, n);
		zdtm_check(ut_send_pattern(s[i], 256, 140 + i, 0) == 0, "connection %d: reply: %m", i);
		zdtm_check(ut_read_pattern(c[i], 256, 140 + i, 0, 1000, &got), "client %d: got %zu of 256 bytes", i, got);
		zdtm_check(ut_empty(c[i]), "client %d: more than its connection sent", i);
		zdtm_check(ut_send_pattern(c[i], 256, 150 + i, 0) == 0, "client %d: send: %m", i);
		zdtm_check(ut_read_pattern(s[i], 256, 150 + i, 0, 1000, &got), "connection %d: got %zu of 256 bytes", i, got);
	}
	close(l);
	unlink(path);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
