/*
 * packet_filter: an AF_PACKET socket with a locked classic BPF filter.
 *
 * State: P = socket(AF_PACKET, SOCK_RAW, ETH_P_ALL) bound to lo with SO_ATTACH_FILTER: a
 * 9-instruction program that passes only IPv4 UDP frames to port 20391, then
 * SO_LOCK_FILTER. Before the checkpoint the filter was tried (a datagram to port 20392 was
 * dropped, one to 20391 passed, twice: outgoing and incoming) and the queue left empty.
 * Check after SIGTERM: SO_GET_FILTER returns exactly the 9 instructions attached;
 * SO_LOCK_FILTER reads 1 and detaching or replacing the filter fails with EPERM; getsockname
 * is as recorded (ETH_P_ALL on lo); nothing is queued. Then a datagram with pattern A
 * goes to 127.0.0.1:20392 and one with pattern B to 127.0.0.1:20391: P receives B (the
 * frame, twice) and never A.
 */
#include "inet_util.h"
#include <net/if.h>

#define MARK_LEN 24

static struct sock_filter prog[] = IT_UDP4_DPORT_FILTER(20391);
#define NPROG (int)(sizeof(prog) / sizeof(prog[0]))

/*
 * Sends pattern seed_a to port 20392 and then seed_b to 20391 from 127.0.0.1:20393 and counts
 * the frames P receives within 300 ms of the last one: *na with A, *nb with B, *other anything else.
 */
static void probe(int p, uint64_t seed_a, uint64_t seed_b, int *na, int *nb, int *other)
{
	struct sockaddr_in src = it_lo4(20393), da = it_lo4(20392), db = it_lo4(20391);
	uint8_t mark[MARK_LEN], buf[2048];
	uint64_t end;
	int s, ra, rb;

	*na = *nb = *other = 0;
	s = it_udp_bound(&src);
	ra = it_udp_bound(&da);
	rb = it_udp_bound(&db);
	zdtm_fill(mark, MARK_LEN, seed_a);
	if (sendto(s, mark, MARK_LEN, 0, (void *)&da, sizeof(da)) != MARK_LEN)
		zdtm_fail("sendto: %m");
	zdtm_fill(mark, MARK_LEN, seed_b);
	if (sendto(s, mark, MARK_LEN, 0, (void *)&db, sizeof(db)) != MARK_LEN)
		zdtm_fail("sendto: %m");
	end = zdtm_now_ns() + 3000000000ULL;
	while (it_readable_by(p, end)) {
		ssize_t n = recv(p, buf, sizeof(buf), MSG_DONTWAIT);
		if (n >= 14 + 20 + 8 + MARK_LEN && zdtm_verify(buf + n - MARK_LEN, MARK_LEN, seed_a) < 0)
			(*na)++;
		else if (n >= 14 + 20 + 8 + MARK_LEN && zdtm_verify(buf + n - MARK_LEN, MARK_LEN, seed_b) < 0)
			(*nb)++;
		else
			(*other)++;
		if (*nb >= 2)
			end = zdtm_now_ns() + 300000000ULL;
	}
	close(s);
	close(ra);
	close(rb);
}

int main(int argc, char **argv)
{
	struct sock_fprog fp = { NPROG, prog };
	struct sock_filter got[32];
	struct sockaddr_ll l = { .sll_family = AF_PACKET };
	union it_addr before, now;
	int p, one = 1, na, nb, other;
	socklen_t len;

	zdtm_init(argc, argv);
	l.sll_protocol = htons(ETH_P_ALL);
	l.sll_ifindex = if_nametoindex("lo");
	p = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (p < 0 || setsockopt(p, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) || bind(p, (void *)&l, sizeof(l)) ||
	    setsockopt(p, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)))
		zdtm_fail("packet socket with filter: %m");
	{
		char drop[256];
		while (recv(p, drop, sizeof(drop), MSG_DONTWAIT) >= 0)
			;	/* whatever came in before the filter */
	}
	probe(p, 5701, 5702, &na, &nb, &other);
	if (na || nb != 2 || other)
		zdtm_fail("the filter does not work as expected: %d A, %d B, %d other frames", na, nb, other);
	before = it_sockname(p);

	zdtm_ready();
	zdtm_wait_for_term();

	len = NPROG + 5;	/* SO_GET_FILTER counts instructions, not bytes */
	memset(got, 0, sizeof(got));
	zdtm_check(getsockopt(p, SOL_SOCKET, SO_GET_FILTER, got, &len) == 0 && len == NPROG &&
		   !memcmp(got, prog, sizeof(prog)), "SO_GET_FILTER gave %u instructions, not the %d attached", len, NPROG);
	UT_CHECK_INT("P", p, SOL_SOCKET, SO_LOCK_FILTER, 1);
	zdtm_check(setsockopt(p, SOL_SOCKET, SO_DETACH_FILTER, &one, sizeof(one)) < 0 && errno == EPERM,
		   "the filter could be detached (%m): not locked");
	zdtm_check(setsockopt(p, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) < 0 && errno == EPERM,
		   "the filter could be replaced (%m): not locked");
	now = it_sockname(p);
	zdtm_check(it_addr_eq(&now, &before) && now.ll.sll_protocol == htons(ETH_P_ALL) && now.ll.sll_ifindex == l.sll_ifindex,
		   "getsockname changed");
	zdtm_check(!it_readable(p, 0), "something is queued: the filter let it through");
	probe(p, 5703, 5704, &na, &nb, &other);
	zdtm_check(na == 0, "%d frames to port 20392 got through the filter", na);
	zdtm_check(nb == 2, "%d frames to port 20391 arrived, expected 2 (out and in)", nb);
	zdtm_check(other == 0, "%d other frames got through the filter", other);
	zdtm_finish();
}
