/*
 * netlink_route_bound: NETLINK_ROUTE sockets bound with a chosen port id and multicast
 * groups, bound by the kernel, and not bound at all.
 *
 * State: N1 bound with nl_pid 1510000381 (far above any pid) and nl_groups RTMGRP_LINK |
 * RTMGRP_IPV4_IFADDR, then joined to group RTNLGRP_BRVLAN (33, beyond the 32-bit mask)
 * with NETLINK_ADD_MEMBERSHIP; NETLINK_NO_ENOBUFS, NETLINK_CAP_ACK and NETLINK_EXT_ACK
 * set. N2 bound with nl_pid 0, so the kernel picked its port id (recorded). N3 never bound.
 * Check after SIGTERM: getsockname of N1 gives nl_pid 1510000381 and nl_groups 0x11, of
 * N2 the recorded port id and no groups, of N3 port id 0; NETLINK_LIST_MEMBERSHIPS of N1
 * is groups 1, 5 and 33 (words 0x11 and 0x1) and of N2 empty; the options read back as
 * set on N1 and unset on N2; /proc/net/netlink lists N1 (by inode) with its port id and
 * groups 00000011 and N2 with its port id, and not N3; another socket cannot bind N1's or
 * N2's port id (EADDRINUSE). The kernel still addresses them: an RTM_GETLINK request for
 * lo through each of N1, N2 and N3 gets a reply for lo's index addressed to that socket's
 * port id (N3's chosen at that moment).
 */
#include "inet_util.h"
#include <linux/rtnetlink.h>
#include <net/if.h>

#define N1_PID 1510000381U
#define N1_GROUPS (RTMGRP_LINK | RTMGRP_IPV4_IFADDR)

static const int nlopts[3] = { NETLINK_NO_ENOBUFS, NETLINK_CAP_ACK, NETLINK_EXT_ACK };
static const char *const nlnames[3] = { "NETLINK_NO_ENOBUFS", "NETLINK_CAP_ACK", "NETLINK_EXT_ACK" };

static struct sockaddr_nl name_of(int fd)
{
	return it_sockname(fd).nl;
}

/* Membership words: returns how many the kernel reported. */
static int memberships(int fd, uint32_t *w, int nw)
{
	socklen_t len = nw * sizeof(uint32_t);
	memset(w, 0, len);
	if (getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, w, &len))
		return -1;
	return len / sizeof(uint32_t);
}

struct linkq {
	uint32_t seq, *to;
	int found, ifindex;
};

/* The first RTM_NEWLINK with the request's sequence (not a multicast notification): its addressee and index. */
static int link_answer(struct nlmsghdr *h, void *ctx)
{
	struct linkq *q = ctx;
	if (q->found)
		return 1;
	if (h->nlmsg_seq != q->seq || h->nlmsg_type != RTM_NEWLINK)
		return 0;	/* a multicast notification, or not ours */
	*q->to = h->nlmsg_pid;
	q->found = 1 + (((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index == q->ifindex);
	return 1;
}

/* RTM_GETLINK for one interface; 1 if the reply is for it and addressed to `to`. */
static int getlink(int fd, int ifindex, uint32_t seq, uint32_t *to)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;
	struct linkq q = { seq, to, 0, ifindex };

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = seq;
	req.i.ifi_family = AF_UNSPEC;
	req.i.ifi_index = ifindex;
	if (!it_nl_send(fd, &req, sizeof(req)))
		return 0;
	it_nl_each(fd, zdtm_now_ns() + 3000000000ULL, link_answer, &q);
	return q.found == 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl a1 = { .nl_family = AF_NETLINK, .nl_pid = N1_PID, .nl_groups = N1_GROUPS };
	struct sockaddr_nl a0 = { .nl_family = AF_NETLINK }, n2name, g;
	int n1, n2, n3, x, i, grp = RTNLGRP_BRVLAN, lo = if_nametoindex("lo"), w;
	uint32_t mem[4], to;
	unsigned pid, groups;

	zdtm_init(argc, argv);
	n1 = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	n2 = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	n3 = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (n1 < 0 || n2 < 0 || n3 < 0)
		zdtm_fail("socket: %m");
	if (bind(n1, (void *)&a1, sizeof(a1)) || ut_setint(n1, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, grp))
		zdtm_fail("N1: %m");
	for (i = 0; i < 3; i++)
		if (ut_setint(n1, SOL_NETLINK, nlopts[i], 1))
			zdtm_fail("N1: %s: %m", nlnames[i]);
	if (bind(n2, (void *)&a0, sizeof(a0)))
		zdtm_fail("N2: %m");
	n2name = name_of(n2);
	if (n2name.nl_family != AF_NETLINK || n2name.nl_pid == 0)
		zdtm_fail("N2 got no port id");
	zdtm_log("N2 has port id %u", n2name.nl_pid);

	zdtm_ready();
	zdtm_wait_for_term();

	g = name_of(n1);
	zdtm_check(g.nl_family == AF_NETLINK && g.nl_pid == N1_PID && g.nl_groups == N1_GROUPS,
		   "N1: port id %u groups %#x, expected %u %#x", g.nl_pid, g.nl_groups, N1_PID, N1_GROUPS);
	g = name_of(n2);
	zdtm_check(g.nl_family == AF_NETLINK && g.nl_pid == n2name.nl_pid && g.nl_groups == 0,
		   "N2: port id %u groups %#x, expected %u 0", g.nl_pid, g.nl_groups, n2name.nl_pid);
	g = name_of(n3);
	zdtm_check(g.nl_family == AF_NETLINK && g.nl_pid == 0 && g.nl_groups == 0, "N3: port id %u groups %#x, expected 0 0",
		   g.nl_pid, g.nl_groups);
	w = memberships(n1, mem, 4);
	zdtm_check(w >= 2 && mem[0] == 0x11 && mem[1] == 0x1 && (w < 3 || !mem[2]), "N1: memberships %#x %#x (%d words)",
		   mem[0], mem[1], w);
	w = memberships(n2, mem, 4);
	zdtm_check(w >= 0 && !mem[0] && !mem[1], "N2: memberships %#x %#x", mem[0], mem[1]);
	for (i = 0; i < 3; i++) {
		ut_check_int("N1", n1, SOL_NETLINK, nlopts[i], nlnames[i], 1);
		ut_check_int("N2", n2, SOL_NETLINK, nlopts[i], nlnames[i], 0);
	}
	zdtm_check(it_netlink_row(n1, NETLINK_ROUTE, &pid, &groups) && pid == N1_PID && groups == N1_GROUPS,
		   "/proc/net/netlink: N1 missing or with port id %u groups %#x", pid, groups);
	zdtm_check(it_netlink_row(n2, NETLINK_ROUTE, &pid, &groups) && pid == n2name.nl_pid && groups == 0,
		   "/proc/net/netlink: N2 missing or with port id %u groups %#x", pid, groups);
	zdtm_check(!it_netlink_row(n3, NETLINK_ROUTE, &pid, &groups), "/proc/net/netlink lists N3: it got bound");
	x = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	a0.nl_pid = N1_PID;
	zdtm_check(bind(x, (void *)&a0, sizeof(a0)) < 0 && errno == EADDRINUSE, "N1's port id is free (%m)");
	close(x);
	x = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	a0.nl_pid = n2name.nl_pid;
	zdtm_check(bind(x, (void *)&a0, sizeof(a0)) < 0 && errno == EADDRINUSE, "N2's port id is free (%m)");
	close(x);

	zdtm_check(getlink(n1, lo, 101, &to) && to == N1_PID, "N1: no RTM_GETLINK reply, or addressed to %u", to);
	zdtm_check(getlink(n2, lo, 102, &to) && to == n2name.nl_pid, "N2: no RTM_GETLINK reply, or addressed to %u", to);
	zdtm_check(getlink(n3, lo, 103, &to) && to == name_of(n3).nl_pid && to != 0,
		   "N3: no RTM_GETLINK reply, or addressed to %u (its port id %u)", to, name_of(n3).nl_pid);
	zdtm_finish();
}
