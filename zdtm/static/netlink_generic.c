/*
 * netlink_generic: a NETLINK_GENERIC socket with a multicast membership.
 *
 * State: G, a NETLINK_GENERIC socket bound with nl_pid 0 (the kernel picks the port id,
 * recorded). Before the checkpoint it asked the controller (CTRL_CMD_GETFAMILY "nlctrl")
 * for its family id (GENL_ID_CTRL, 0x10) and multicast groups, and joined the "notify"
 * group with NETLINK_ADD_MEMBERSHIP (group id recorded).
 * Check after SIGTERM: getsockname gives the recorded port id; NETLINK_LIST_MEMBERSHIPS
 * shows exactly the "notify" group; /proc/net/netlink lists G (protocol 16, by inode) with
 * its port id; nothing is queued; a new CTRL_CMD_GETFAMILY "nlctrl" request is answered,
 * addressed to G's port id with the request's sequence, with family id 0x10, the name
 * "nlctrl" and the same "notify" group id.
 */
#include "inet_util.h"
#include <linux/genetlink.h>

struct answer {
	int ok, family;
	uint32_t to, notify;
	char name[32];
};

static void parse_groups(struct nlattr *outer, struct answer *r)
{
	struct nlattr *g = (void *)((char *)outer + NLA_HDRLEN);
	int left = outer->nla_len - NLA_HDRLEN;
	while (left >= NLA_HDRLEN && g->nla_len >= NLA_HDRLEN && g->nla_len <= left) {
		struct nlattr *a = (void *)((char *)g + NLA_HDRLEN);
		int l2 = g->nla_len - NLA_HDRLEN;
		uint32_t id = 0;
		char name[32] = "";
		while (l2 >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= l2) {
			if (a->nla_type == CTRL_ATTR_MCAST_GRP_ID)
				memcpy(&id, (char *)a + NLA_HDRLEN, 4);
			else if (a->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
				snprintf(name, sizeof(name), "%s", (char *)a + NLA_HDRLEN);
			l2 -= NLA_ALIGN(a->nla_len);
			a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
		}
		if (!strcmp(name, "notify"))
			r->notify = id;
		left -= NLA_ALIGN(g->nla_len);
		g = (void *)((char *)g + NLA_ALIGN(g->nla_len));
	}
}

struct ask {
	uint32_t seq;
	struct answer *r;
};

/* The controller's answer to request seq (the first message with it and GENL_ID_CTRL) into *r. */
static int family_answer(struct nlmsghdr *h, void *ctx)
{
	struct ask *q = ctx;
	struct answer *r = q->r;
	struct nlattr *a;
	int left;
	if (r->ok)
		return 1;
	if (h->nlmsg_seq != q->seq || h->nlmsg_type != GENL_ID_CTRL)
		return 0;
	r->to = h->nlmsg_pid;
	a = (void *)((char *)NLMSG_DATA(h) + GENL_HDRLEN);
	left = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			r->family = *(uint16_t *)((char *)a + NLA_HDRLEN);
		else if (a->nla_type == CTRL_ATTR_FAMILY_NAME)
			snprintf(r->name, sizeof(r->name), "%s", (char *)a + NLA_HDRLEN);
		else if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GROUPS)
			parse_groups(a, r);
		left -= NLA_ALIGN(a->nla_len);
		a = (void *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	r->ok = 1;
	return 1;
}

static void getfamily(int fd, uint32_t seq, struct answer *r)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		struct nlattr a;
		char name[8];
	} req;
	struct ask q = { seq, r };

	memset(r, 0, sizeof(*r));
	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = GENL_ID_CTRL;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.h.nlmsg_seq = seq;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	req.a.nla_type = CTRL_ATTR_FAMILY_NAME;
	req.a.nla_len = NLA_HDRLEN + 7;
	strcpy(req.name, "nlctrl");
	if (it_nl_send(fd, &req, sizeof(req)))
		it_nl_each(fd, zdtm_now_ns() + 3000000000ULL, family_answer, &q);
}

int main(int argc, char **argv)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK }, me;
	struct answer before, now;
	uint32_t mem[8];
	socklen_t len;
	unsigned pid = 0, i;
	int fd, grp, words;

	zdtm_init(argc, argv);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)))
		zdtm_fail("socket/bind: %m");
	me = it_sockname(fd).nl;
	if (me.nl_family != AF_NETLINK || me.nl_pid == 0)
		zdtm_fail("no port id");
	getfamily(fd, 1, &before);
	if (!before.ok || before.family != GENL_ID_CTRL || before.notify == 0 || before.notify > 8 * sizeof(mem))
		zdtm_fail("nlctrl: answer %d family %#x notify group %u", before.ok, before.family, before.notify);
	grp = before.notify;
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		zdtm_fail("NETLINK_ADD_MEMBERSHIP %d: %m", grp);
	zdtm_log("port id %u, nlctrl notify group %u", me.nl_pid, before.notify);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(it_sockname(fd).nl.nl_pid == me.nl_pid, "port id %u, expected %u", it_sockname(fd).nl.nl_pid, me.nl_pid);
	len = sizeof(mem);
	memset(mem, 0, sizeof(mem));
	zdtm_check(getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, mem, &len) == 0, "LIST_MEMBERSHIPS: %m");
	words = len / 4;
	for (i = 0; i < 8 * sizeof(mem) && i < 32u * words; i++) {
		int want = i + 1 == before.notify, have = !!(mem[i / 32] & (1U << (i % 32)));
		zdtm_check(want == have, "group %u: member %d, expected %d", i + 1, have, want);
	}
	zdtm_check(32u * words >= before.notify, "LIST_MEMBERSHIPS gave only %d words", words);
	zdtm_check(it_netlink_row(fd, NETLINK_GENERIC, &pid, NULL) && pid == me.nl_pid, "/proc/net/netlink: missing, or port id %u",
		   pid);
	zdtm_check(ut_empty(fd), "something was queued");
	getfamily(fd, 2, &now);
	zdtm_check(now.ok, "no answer from the controller");
	zdtm_check(now.to == me.nl_pid, "the answer is addressed to %u, not %u", now.to, me.nl_pid);
	zdtm_check(now.family == GENL_ID_CTRL && !strcmp(now.name, "nlctrl") && now.notify == before.notify,
		   "answer: family %#x name %s notify %u", now.family, now.name, now.notify);
	zdtm_finish();
}
