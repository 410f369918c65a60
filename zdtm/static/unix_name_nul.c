/*
 * unix_name_nul: dgram sockets bound to names with NUL bytes inside: abstract names that
 * differ only in embedded and trailing NULs, an all-NUL one, one of the maximum length, and a
 * path name passed with bytes after its terminating NUL.
 *
 * State: five dgram sockets bound to (shown without the leading NUL of abstract names):
 *   K0 "<tag>a\0b\0c"          K1 "<tag>a\0b\0c\0" (K0's bytes plus a NUL: another name)
 *   K2 "\0\0\0" (3 NULs; more if a concurrent run holds that name)
 *   K3 107 bytes (the maximum) mixing NULs and pattern bytes
 *   K4 the path DIR/nul given as "DIR/nul\0junk" with the junk counted in addrlen: the kernel
 *      stops at the NUL, so the name is DIR/nul.
 * An unbound sender sent each socket one datagram (seed 200 + i, 100 + i bytes).
 * getsockname of each recorded.
 * Check after SIGTERM: getsockname of each is as recorded and as built independently (exact
 * length: the NULs count for abstract names, the path form for K4); each socket holds exactly
 * its own datagram (none swapped between K0 and K1); a datagram sent to each name after the
 * restore arrives at that socket only.
 * (TAG: the pid and a hash of the run directory, so concurrent runs do not clash.)
 */
#include "unix_util.h"

#define NK 5

static const char zeros[UT_PATH_MAX];

int main(int argc, char **argv)
{
	int k[NK], u, i, j, tmp;
	char pid[48], raw[UT_PATH_MAX];
	const char *dir, *path;
	struct ut_addr want[NK], before[NK], bindaddr;
	uint8_t buf[512];
	size_t pl;

	zdtm_init(argc, argv);
	pl = snprintf(pid, sizeof(pid), "%s", ut_tag());
	memcpy(raw, pid, pl);
	memcpy(raw + pl, "a\0b\0c\0", 6);
	want[0] = ut_abstract_addr(raw, pl + 5);
	want[1] = ut_abstract_addr(raw, pl + 6);
	want[2] = ut_abstract_addr(zeros, 3);	/* its length grows below if another run holds it */
	zdtm_fill(raw, UT_PATH_MAX - 1, 205);
	for (i = 0; i < UT_PATH_MAX - 1; i += 5)
		raw[i] = 0;
	memcpy(raw + 1, pid, pl);	/* unique across concurrent runs */
	want[3] = ut_abstract_addr(raw, UT_PATH_MAX - 1);
	dir = ut_sock_dir("sk", 8, &tmp);
	want[4] = ut_sock_addr(dir, "nul", &path);
	bindaddr = want[4];
	memcpy(bindaddr.sa.sun_path + strlen(path) + 1, "junk", 4);
	bindaddr.len += 4;

	u = ut_socket(SOCK_DGRAM);
	for (i = 0; i < NK; i++) {
		k[i] = ut_socket(SOCK_DGRAM);
		while (i == 2 && ut_bind(k[i], &want[i]) && errno == EADDRINUSE && want[i].len < sizeof(want[i].sa))
			want[i] = ut_abstract_addr(zeros, want[i].len - offsetof(struct sockaddr_un, sun_path));
		if (i != 2 && ut_bind(k[i], i == 4 ? &bindaddr : &want[i]))
			zdtm_fail("bind K%d %s: %m", i, ut_addr_str(&want[i]));
		before[i] = ut_sockname(k[i]);
		if (!ut_addr_eq(&before[i], &want[i]))
			zdtm_fail("bind K%d %s: bound as %s", i, ut_addr_str(&want[i]), ut_addr_str(&before[i]));
	}
	for (i = 0; i < NK; i++) {
		zdtm_fill(buf, 100 + i, 200 + i);
		if (ut_sendto(u, buf, 100 + i, &want[i]) != 100 + i)
			zdtm_fail("sendto K%d: %m", i);
	}

	zdtm_ready();
	zdtm_wait_for_term();

	for (i = 0; i < NK; i++) {
		ssize_t n;
		char who[8];
		snprintf(who, sizeof(who), "K%d", i);
		ut_check_name(who, k[i], 0, &want[i], &before[i]);
		memset(buf, 0, sizeof(buf));
		n = recv(k[i], buf, sizeof(buf), MSG_DONTWAIT);
		zdtm_check(n == 100 + i && zdtm_verify(buf, n, 200 + i) < 0, "K%d: queued datagram has %zd bytes (%m), "
			   "expected its own %d", i, n, 100 + i);
		zdtm_check(ut_empty(k[i]), "K%d: more than one datagram", i);
	}
	for (i = 0; i < NK; i++) {
		zdtm_fill(buf, 50, 210 + i);
		zdtm_check(ut_sendto(u, buf, 50, &want[i]) == 50, "sendto K%d after restore: %m", i);
		for (j = 0; j < NK; j++)
			zdtm_check(ut_inq(k[j]) == (i == j ? 50 : 0), "datagram for K%d: K%d holds %d bytes", i, j,
				   ut_inq(k[j]));
		memset(buf, 0, sizeof(buf));
		zdtm_check(recv(k[i], buf, sizeof(buf), MSG_DONTWAIT) == 50 && zdtm_verify(buf, 50, 210 + i) < 0,
			   "K%d: new datagram differs", i);
	}
	unlink(path);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
