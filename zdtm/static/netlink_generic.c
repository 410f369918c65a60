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
#include "zdtm.h"
#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void getfamily(int fd, uint32_t seq, struct answer *r)
{
	struct {
		struct nlmsghdr h;
		struct genlmsghdr g;
		struct nlattr a;
		char name[8];
	} req;
	static char buf[16384];
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	uint64_t end = zdtm_now_ns() + 3000000000ULL;

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
	if (sendto(fd, &req, sizeof(req), 0, (void *)&k, sizeof(k)) != sizeof(req))
		return;
	while (zdtm_now_ns() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		struct nlmsghdr *h;
		ssize_t n;
		if (poll(&p, 1, 100) != 1)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		for (h = (void *)buf; n > 0 && NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			struct nlattr *a;
			int left;
			if (h->nlmsg_seq != seq || h->nlmsg_type != GENL_ID_CTRL)
				continue;
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
			return;
		}
	}
}

static int proc_row(int fd, unsigned *pid)
{
	char line[512];
	unsigned eth, p;
	unsigned long ino;
	struct stat st;
	int found = 0;
	FILE *f = fopen("/proc/net/netlink", "r");
	if (!f || fstat(fd, &st))
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %u %u %*x %*s %*s %*s %*s %*s %lu", &eth, &p, &ino) == 3 && ino == st.st_ino &&
		    eth == NETLINK_GENERIC) {
			*pid = p;
			found = 1;
		}
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK }, me, g;
	struct answer before, now;
	uint32_t mem[8];
	socklen_t len;
	unsigned pid = 0, i;
	int fd, grp, words;
	char c;

	zdtm_init(argc, argv);
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)))
		zdtm_fail("socket/bind: %m");
	len = sizeof(me);
	if (getsockname(fd, (void *)&me, &len) || me.nl_pid == 0)
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

	len = sizeof(g);
	zdtm_check(getsockname(fd, (void *)&g, &len) == 0 && g.nl_pid == me.nl_pid, "port id %u, expected %u", g.nl_pid,
		   me.nl_pid);
	len = sizeof(mem);
	memset(mem, 0, sizeof(mem));
	zdtm_check(getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, mem, &len) == 0, "LIST_MEMBERSHIPS: %m");
	words = len / 4;
	for (i = 0; i < 8 * sizeof(mem) && i < 32u * words; i++) {
		int want = i + 1 == before.notify, have = !!(mem[i / 32] & (1U << (i % 32)));
		zdtm_check(want == have, "group %u: member %d, expected %d", i + 1, have, want);
	}
	zdtm_check(32u * words >= before.notify, "LIST_MEMBERSHIPS gave only %d words", words);
	zdtm_check(proc_row(fd, &pid) && pid == me.nl_pid, "/proc/net/netlink: missing, or port id %u", pid);
	zdtm_check(recv(fd, &c, 1, MSG_DONTWAIT) < 0 && errno == EAGAIN, "something was queued");
	getfamily(fd, 2, &now);
	zdtm_check(now.ok, "no answer from the controller");
	zdtm_check(now.to == me.nl_pid, "the answer is addressed to %u, not %u", now.to, me.nl_pid);
	zdtm_check(now.family == GENL_ID_CTRL && !strcmp(now.name, "nlctrl") && now.notify == before.notify,
		   "answer: family %#x name %s notify %u", now.family, now.name, now.notify);
	zdtm_finish();
}
