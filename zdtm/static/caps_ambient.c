/*
 * caps_ambient: ambient capabilities of a root task.
 *
 * State: inheritable set = {CAP_CHOWN, CAP_NET_RAW, CAP_SYS_NICE} (permitted and effective
 * left as they are), then CAP_NET_RAW and CAP_SYS_NICE raised into the ambient set with
 * PR_CAP_AMBIENT_RAISE (CAP_CHOWN only inheritable).
 * Check after SIGTERM: PR_CAP_AMBIENT_IS_SET is 1 for CAP_NET_RAW and CAP_SYS_NICE and 0
 * for every other capability up to cap_last_cap; CapAmb in /proc/self/status is
 * 0000000000802000 and CapInh 0000000000802001 (worked out by hand); capget gives that
 * inheritable set and the permitted and effective sets recorded before. The ambient set
 * acts: a forked child sets SECBIT_NOROOT (so exec grants root nothing extra) and execs
 * /bin/cat /proc/self/status, which then shows exactly CapPrm = CapEff = CapAmb = 802000.
 */
#include "zdtm.h"
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define AMB 0x802000ULL		/* 1 << 13 (CAP_NET_RAW) | 1 << 23 (CAP_SYS_NICE) */
#define INH 0x802001ULL		/* AMB | 1 << 0 (CAP_CHOWN) */
#define SECBIT_NOROOT_ 1

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

static unsigned long long field_hex(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : ~0ULL;
}

int main(int argc, char **argv)
{
	struct __user_cap_data_struct d[2];
	uint64_t prm, eff;
	char buf[4096], s[64];
	int last, c, p[2], st;
	ssize_t n = 0, k;
	pid_t child;

	zdtm_init(argc, argv);
	zdtm_read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf));
	last = atoi(buf);
	if (last < CAP_SYS_NICE || last > 63)
		zdtm_fail("cap_last_cap %d", last);
	if (capget_(d))
		zdtm_fail("capget: %m");
	prm = word(d[0].permitted, d[1].permitted);
	eff = word(d[0].effective, d[1].effective);
	if (!(prm & AMB) || (prm & INH) != INH)
		zdtm_fail("not privileged enough: permitted %llx", (unsigned long long)prm);
	d[0].inheritable = (uint32_t)INH;
	d[1].inheritable = INH >> 32;
	if (capset_(d))
		zdtm_fail("capset: %m");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_NICE, 0, 0))
		zdtm_fail("PR_CAP_AMBIENT_RAISE: %m");
	zdtm_status_field("CapAmb", s, sizeof(s));
	if (strtoull(s, NULL, 16) != AMB)
		zdtm_fail("CapAmb %s before the checkpoint", s);
	zdtm_log("CapAmb %s, permitted %llx", s, (unsigned long long)prm);

	zdtm_ready();
	zdtm_wait_for_term();

	for (c = 0; c <= last; c++) {
		int want = c == CAP_NET_RAW || c == CAP_SYS_NICE;
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		zdtm_check(r == want, "PR_CAP_AMBIENT_IS_SET(%d) = %d, expected %d", c, r, want);
	}
	zdtm_status_field("CapAmb", s, sizeof(s));
	zdtm_check(!strcmp(s, "0000000000802000"), "CapAmb %s, expected 0000000000802000", s);
	zdtm_status_field("CapInh", s, sizeof(s));
	zdtm_check(!strcmp(s, "0000000000802001"), "CapInh %s, expected 0000000000802001", s);
	if (zdtm_check(capget_(d) == 0, "capget: %m")) {
		zdtm_check(word(d[0].inheritable, d[1].inheritable) == INH, "inheritable %llx",
			   (unsigned long long)word(d[0].inheritable, d[1].inheritable));
		zdtm_check(word(d[0].permitted, d[1].permitted) == prm, "permitted %llx, expected %llx",
			   (unsigned long long)word(d[0].permitted, d[1].permitted), (unsigned long long)prm);
		zdtm_check(word(d[0].effective, d[1].effective) == eff, "effective %llx, expected %llx",
			   (unsigned long long)word(d[0].effective, d[1].effective), (unsigned long long)eff);
	}

	if (access("/bin/cat", X_OK)) {
		zdtm_log("no /bin/cat: exec check left out");
		zdtm_finish();
	}
	if (pipe(p))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT_, 0, 0, 0))
			_exit(126);
		execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	memset(buf, 0, sizeof(buf));
	while (n < (ssize_t)sizeof(buf) - 1 && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += k;
	close(p[0]);
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child ended with status %#x", st);
	zdtm_check(field_hex(buf, "\nCapPrm:") == AMB && field_hex(buf, "\nCapEff:") == AMB &&
		   field_hex(buf, "\nCapAmb:") == AMB, "after exec: CapPrm %llx CapEff %llx CapAmb %llx, expected %llx",
		   field_hex(buf, "\nCapPrm:"), field_hex(buf, "\nCapEff:"), field_hex(buf, "\nCapAmb:"), AMB);
	zdtm_finish();
}
