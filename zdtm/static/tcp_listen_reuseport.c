/*
 * tcp_listen_reuseport: two TCP listeners sharing 127.0.0.1:20141 through SO_REUSEPORT.
 *
 * State: listeners L1 and L2, both with SO_REUSEADDR and SO_REUSEPORT, bound to
 * 127.0.0.1:20141 and listening (backlog 64); before the checkpoint 64 connections were
 * made and accepted (both listeners got some: they form one reuseport group) and closed.
 * Check after SIGTERM: both are bound to 127.0.0.1:20141, listening, with SO_REUSEPORT 1;
 * a socket without SO_REUSEPORT cannot bind the port (EADDRINUSE); 64 fresh connections
 * are each accepted exactly once by L1 or L2, both listeners get at least one (with one
 * group and distinct source ports, all 64 on one side happens with probability 2^-63),
 * each accepted peer is one of the clients, and one connection per listener carries data.
 */
#include "inet_util.h"

#define PORT 20141
#define N 64

static struct sockaddr_in addr;

/*
 * Makes N connections and accepts them from l[0]/l[1]. counts[] gets how many each accepted;
 * returns the number of problems (unmatched peers, missing accepts). Data goes through the
 * first connection of each listener when `talk`.
 */
static int round_of(int l[2], int counts[2], int talk)
{
	int c[N], port[N], matched[N] = { 0 }, i, k, bad = 0, total = 0, talked[2] = { 0, 0 };
	struct sockaddr_in a;
	socklen_t len;

	counts[0] = counts[1] = 0;
	for (i = 0; i < N; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i] < 0 || connect(c[i], (const void *)&addr, sizeof(addr)))
			return N;
		port[i] = it_sockname(c[i]).v4.sin_port;
	}
	while (total < N) {
		struct pollfd p[2] = { { l[0], POLLIN, 0 }, { l[1], POLLIN, 0 } };
		if (poll(p, 2, 5000) <= 0)
			break;
		for (k = 0; k < 2; k++) {
			int s;
			if (!(p[k].revents & POLLIN))
				continue;
			len = sizeof(a);
			s = accept(l[k], (void *)&a, &len);
			if (s < 0)
				continue;
			total++;
			counts[k]++;
			for (i = 0; i < N && port[i] != a.sin_port; i++)
				;
			if (i == N || matched[i]++) {
				bad++;
			} else if (talk && !talked[k]++) {
				if (!it_pass(c[i], s, "abc"))
					bad++;
			}
			close(s);
		}
	}
	for (i = 0; i < N; i++)
		close(c[i]);
	return bad + (N - total);
}

int main(int argc, char **argv)
{
	int l[2], k, counts[2], x;
	char who[8];

	zdtm_init(argc, argv);
	addr = it_lo4(PORT);
	for (k = 0; k < 2; k++) {
		l[k] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (l[k] < 0 || ut_setint(l[k], SOL_SOCKET, SO_REUSEADDR, 1) || ut_setint(l[k], SOL_SOCKET, SO_REUSEPORT, 1) ||
		    bind(l[k], (const void *)&addr, sizeof(addr)) || listen(l[k], 64))
			zdtm_fail("listener %d on 127.0.0.1:%d: %m", k + 1, PORT);
	}
	if (round_of(l, counts, 0) || !counts[0] || !counts[1])
		zdtm_fail("before the checkpoint: accepted %d + %d of %d connections", counts[0], counts[1], N);

	zdtm_ready();
	zdtm_wait_for_term();

	for (k = 0; k < 2; k++) {
		snprintf(who, sizeof(who), "L%d", k + 1);
		it_check_names(who, l[k], &addr, NULL);
		UT_CHECK_INT(who, l[k], SOL_SOCKET, SO_REUSEPORT, 1);
		UT_CHECK_INT(who, l[k], SOL_SOCKET, SO_ACCEPTCONN, 1);
	}
	x = socket(AF_INET, SOCK_STREAM, 0);
	zdtm_check(x >= 0 && bind(x, (const void *)&addr, sizeof(addr)) < 0 && errno == EADDRINUSE,
		   "a socket without SO_REUSEPORT could bind 127.0.0.1:%d (%m)", PORT);
	close(x);
	x = round_of(l, counts, 1);
	zdtm_check(x == 0, "%d problem(s) with %d fresh connections (accepted %d + %d)", x, N, counts[0], counts[1]);
	zdtm_check(counts[0] > 0 && counts[1] > 0, "one listener got all connections (%d + %d): not one group",
		   counts[0], counts[1]);
	zdtm_finish();
}
