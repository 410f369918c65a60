/*
 * pid_same: process identity.
 *
 * State: the pid, the thread id, the process group and session (the test
 * is a session leader: zdtm_init calls setsid()).
 * Check after SIGTERM: getpid(), gettid(), getpgrp(), getsid(0) equal the
 * values recorded before, and pgrp == sid == pid; /proc/self/stat fields
 * pid, pgrp, session and /proc/self/status Tgid, Pid, NSpid agree;
 * /proc/self links to the pid.
 */
#include "zdtm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid, tid, pgrp, sid;
	char buf[64], want[32], link[64];
	ssize_t n;

	zdtm_init(argc, argv);
	pid = getpid();
	tid = gettid();
	pgrp = getpgrp();
	sid = getsid(0);
	if (pgrp != pid || sid != pid || tid != pid)
		zdtm_fail("not a session leader: pid %d pgrp %d sid %d tid %d", pid, pgrp, sid, tid);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(getpid() == pid, "getpid %d, expected %d", getpid(), pid);
	zdtm_check(gettid() == tid, "gettid %d, expected %d", gettid(), tid);
	zdtm_check(getpgrp() == pgrp, "getpgrp %d, expected %d", getpgrp(), pgrp);
	zdtm_check(getsid(0) == sid, "getsid %d, expected %d", getsid(0), sid);
	zdtm_check(zdtm_stat_field_ull(1) == (unsigned)pid, "stat pid %llu", zdtm_stat_field_ull(1));
	zdtm_check(zdtm_stat_field_ull(5) == (unsigned)pgrp, "stat pgrp %llu", zdtm_stat_field_ull(5));
	zdtm_check(zdtm_stat_field_ull(6) == (unsigned)sid, "stat session %llu", zdtm_stat_field_ull(6));
	snprintf(want, sizeof(want), "%d", pid);
	zdtm_status_field("Tgid", buf, sizeof(buf));
	zdtm_check(!strcmp(buf, want), "Tgid %s, expected %s", buf, want);
	zdtm_status_field("Pid", buf, sizeof(buf));
	zdtm_check(!strcmp(buf, want), "Pid %s, expected %s", buf, want);
	zdtm_status_field("NSpid", buf, sizeof(buf));
	zdtm_check(!strcmp(buf, want), "NSpid %s, expected %s", buf, want);
	n = readlink("/proc/self", link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	zdtm_check(!strcmp(link, want), "/proc/self -> %s, expected %s", link, want);
	zdtm_finish();
}
