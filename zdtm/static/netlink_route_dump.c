/*
 * netlink_route_dump: a NETLINK_ROUTE socket that talks to the kernel after restore.
 *
 * State: N, a NETLINK_ROUTE socket bound by the kernel when it sent its first request: an
 * RTM_GETLINK dump whose answer was read in full; its port id, the interfaces (index, name)
 * and lo's MTU and flags recorded. Nothing is queued.
 * Check after SIGTERM: getsockname gives the recorded port id; nothing is queued; an
 * RTM_GETLINK dump (sequence 2) is answered with messages all carrying sequence 2 and N's
 * port id and ends with NLMSG_DONE; every interface recorded is in it with the same name,
 * lo among them with IFF_LOOPBACK and the same MTU; an RTM_GETADDR dump (sequence 3) shows
 * 127.0.0.1/8 on lo; a request for an interface index that does not exist (sequence 4)
 * gets an NLMSG_ERROR with ENODEV.
 */
#include "inet_util.h"
#include <linux/rtnetlink.h>
#include <net/if.h>

#define MAXIF 64

struct link {
	int index;
	unsigned flags, mtu;
	char name[IFNAMSIZ];
};

struct result {
	int nlinks, done, error, bad_header, lo_addr;
	struct link links[MAXIF];
};

static int send_req(int fd, int type, int flags, uint32_t seq, int family, int index)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req;
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = type;
	req.h.nlmsg_flags = NLM_F_REQUEST | flags;
	req.h.nlmsg_seq = seq;
	req.i.ifi_family = family;
	req.i.ifi_index = index;	/* for RTM_GETADDR the same bytes are ifa_family + zeros: fine */
	return it_nl_send(fd, &req, sizeof(req)) ? 0 : -1;
}

static void parse_link(struct nlmsghdr *h, struct result *r)
{
	struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *a = IFLA_RTA(ifi);
	int len = IFLA_PAYLOAD(h);
	struct link *l;
	if (r->nlinks >= MAXIF)
		return;
	l = &r->links[r->nlinks++];
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFLA_IFNAME)
			strncpy(l->name, RTA_DATA(a), IFNAMSIZ - 1);
		else if (a->rta_type == IFLA_MTU)
			memcpy(&l->mtu, RTA_DATA(a), 4);
	}
}

static void parse_addr(struct nlmsghdr *h, struct result *r, int lo)
{
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *a = IFA_RTA(ifa);
	int len = IFA_PAYLOAD(h);
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		uint32_t v;
		if (a->rta_type != IFA_LOCAL)
			continue;
		memcpy(&v, RTA_DATA(a), 4);
		if (ifa->ifa_family == AF_INET && (int)ifa->ifa_index == lo && ifa->ifa_prefixlen == 8 &&
		    v == htonl(INADDR_LOOPBACK))
			r->lo_addr = 1;
	}
}

struct dumpq {
	uint32_t seq, port;
	int lo;
	struct result *r;
};

static int dump_part(struct nlmsghdr *h, void *ctx)
{
	struct dumpq *q = ctx;
	struct result *r = q->r;
	if (h->nlmsg_seq != q->seq || h->nlmsg_pid != q->port) {
		r->bad_header++;
		return r->done || r->error;
	}
	if (h->nlmsg_type == NLMSG_DONE)
		r->done = 1;
	else if (h->nlmsg_type == NLMSG_ERROR)
		r->error = ((struct nlmsgerr *)NLMSG_DATA(h))->error ? ((struct nlmsgerr *)NLMSG_DATA(h))->error : 1;
	else if (h->nlmsg_type == RTM_NEWLINK)
		parse_link(h, r);
	else if (h->nlmsg_type == RTM_NEWADDR)
		parse_addr(h, r, q->lo);
	return r->done || r->error;
}

/* Reads the answer to request seq until DONE or ERROR (or 3 s). */
static void collect(int fd, uint32_t seq, uint32_t port, struct result *r, int lo)
{
	struct dumpq q = { seq, port, lo, r };
	memset(r, 0, sizeof(*r));
	it_nl_each(fd, zdtm_now_ns() + 3000000000ULL, dump_part, &q);
}

static const struct link *find(const struct result *r, int index)
{
	int i;
	for (i = 0; i < r->nlinks; i++)
		if (r->links[i].index == index)
			return &r->links[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static struct result before, now;
	struct sockaddr_nl me, g;
	int n, i, lo = if_nametoindex("lo");
	const struct link *a, *b;

	zdtm_init(argc, argv);
	n = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (n < 0 || send_req(n, RTM_GETLINK, NLM_F_DUMP, 1, AF_UNSPEC, 0))
		zdtm_fail("first request: %m");
	me = it_sockname(n).nl;
	if (me.nl_family != AF_NETLINK || me.nl_pid == 0)
		zdtm_fail("not bound after the first request");
	collect(n, 1, me.nl_pid, &before, lo);
	if (!before.done || before.bad_header || !find(&before, lo))
		zdtm_fail("the first dump was not complete (%d links, done %d)", before.nlinks, before.done);
	zdtm_log("port id %u, %d interfaces", me.nl_pid, before.nlinks);

	zdtm_ready();
	zdtm_wait_for_term();

	g = it_sockname(n).nl;
	zdtm_check(g.nl_family == AF_NETLINK && g.nl_pid == me.nl_pid && g.nl_groups == 0,
		   "port id %u groups %#x, expected %u 0", g.nl_pid, g.nl_groups, me.nl_pid);
	zdtm_check(ut_empty(n), "something was queued");
	zdtm_check(send_req(n, RTM_GETLINK, NLM_F_DUMP, 2, AF_UNSPEC, 0) == 0, "RTM_GETLINK: %m");
	collect(n, 2, me.nl_pid, &now, lo);
	zdtm_check(now.done && !now.error, "the link dump did not end with NLMSG_DONE (error %d)", now.error);
	zdtm_check(!now.bad_header, "%d messages with another sequence or port id", now.bad_header);
	for (i = 0; i < before.nlinks; i++) {
		a = &before.links[i];
		b = find(&now, a->index);
		zdtm_check(b && !strcmp(a->name, b->name), "interface %d (%s) is missing or renamed", a->index, a->name);
	}
	a = find(&before, lo);
	b = find(&now, lo);
	if (zdtm_check(b != NULL, "no lo (index %d) in the dump", lo))
		zdtm_check((b->flags & IFF_LOOPBACK) && b->mtu == a->mtu && !strcmp(b->name, "lo"),
			   "lo: flags %#x mtu %u name %s, mtu was %u", b->flags, b->mtu, b->name, a->mtu);

	zdtm_check(send_req(n, RTM_GETADDR, NLM_F_DUMP, 3, AF_INET, 0) == 0, "RTM_GETADDR: %m");
	collect(n, 3, me.nl_pid, &now, lo);
	zdtm_check(now.done && !now.bad_header && now.lo_addr, "the address dump has no 127.0.0.1/8 on lo");

	zdtm_check(send_req(n, RTM_GETLINK, 0, 4, AF_UNSPEC, 0x7ffffff0) == 0, "RTM_GETLINK: %m");
	collect(n, 4, me.nl_pid, &now, lo);
	zdtm_check(now.error == -ENODEV && !now.bad_header, "a request for a missing interface gave error %d, not -ENODEV",
		   now.error);
	zdtm_finish();
}
