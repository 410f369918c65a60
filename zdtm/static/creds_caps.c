/*
 * creds_caps: credentials and capabilities of a task that is root only in effect.
 *
 * State: groups {10, 20}; gids r/e/s 100/101/102; uids r/e/s 1000/0/1002; CAP_NET_RAW
 * dropped from the bounding set; permitted = all but CAP_SYS_BOOT, effective = permitted
 * without CAP_MKNOD, inheritable = {CAP_CHOWN}; securebit SECBIT_NO_SETUID_FIXUP;
 * no_new_privs set.
 * Check after SIGTERM: every one of those, read back with getres[ug]id, getgroups, capget,
 * PR_CAPBSET_READ, PR_GET_SECUREBITS and PR_GET_NO_NEW_PRIVS.
 */
#include "zdtm.h"
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SECBIT_NO_SETUID_FIXUP_ (1 << 2)

static int capget_(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return syscall(SYS_capget, &h, d);
}

static int capset_(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	return syscall(SYS_capset, &h, d);
}

static uint64_t word(uint32_t lo, uint32_t hi) { return (uint64_t)hi << 32 | lo; }

int main(int argc, char **argv)
{
	gid_t groups[2] = { 10, 20 }, got[8];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	struct __user_cap_data_struct d[2];
	uint64_t prm, eff, inh;

	zdtm_init(argc, argv);
	if (setgroups(2, groups) || setresgid(100, 101, 102))
		zdtm_fail("setgroups/setresgid: %m");
	if (prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0))
		zdtm_fail("PR_CAPBSET_DROP: %m");
	if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP_, 0, 0, 0))
		zdtm_fail("PR_SET_SECUREBITS: %m");
	if (setresuid(1000, 0, 1002))
		zdtm_fail("setresuid: %m");
	if (capget_(d))
		zdtm_fail("capget: %m");
	prm = word(d[0].permitted, d[1].permitted) & ~(1ULL << CAP_SYS_BOOT);
	eff = prm & ~(1ULL << CAP_MKNOD);
	inh = 1ULL << CAP_CHOWN;
	d[0].permitted = (uint32_t)prm; d[1].permitted = prm >> 32;
	d[0].effective = (uint32_t)eff; d[1].effective = eff >> 32;
	d[0].inheritable = (uint32_t)inh; d[1].inheritable = inh >> 32;
	if (capset_(d))
		zdtm_fail("capset: %m");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		zdtm_fail("PR_SET_NO_NEW_PRIVS: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	getresuid(&ru, &eu, &su);
	getresgid(&rg, &eg, &sg);
	zdtm_check(ru == 1000 && eu == 0 && su == 1002, "uids %d/%d/%d", ru, eu, su);
	zdtm_check(rg == 100 && eg == 101 && sg == 102, "gids %d/%d/%d", rg, eg, sg);
	int n = getgroups(8, got);
	zdtm_check(n == 2 && got[0] == 10 && got[1] == 20, "%d groups", n);
	zdtm_check(capget_(d) == 0, "capget: %m");
	zdtm_check(word(d[0].permitted, d[1].permitted) == prm, "permitted %llx, expected %llx",
		   (unsigned long long)word(d[0].permitted, d[1].permitted), (unsigned long long)prm);
	zdtm_check(word(d[0].effective, d[1].effective) == eff, "effective %llx, expected %llx",
		   (unsigned long long)word(d[0].effective, d[1].effective), (unsigned long long)eff);
	zdtm_check(word(d[0].inheritable, d[1].inheritable) == inh, "inheritable %llx",
		   (unsigned long long)word(d[0].inheritable, d[1].inheritable));
	zdtm_check(prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0) == 0, "CAP_NET_RAW back in the bounding set");
	zdtm_check(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0) == 1, "CAP_CHOWN left the bounding set");
	zdtm_check(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) == SECBIT_NO_SETUID_FIXUP_, "securebits %d",
		   prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
	zdtm_check(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs lost");
	zdtm_finish();
}
