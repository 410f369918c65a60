/*
 * signalfd_held: a signalfd with signals waiting to be read: the signalfd comes back with its
 * signal set and flags, and the pending signals with their order, codes and payloads.
 *
 * State: SIGUSR1 and SIGRTMIN+1 blocked; a signalfd (SFD_NONBLOCK) for both; SIGUSR1 sent
 * with kill() and SIGRTMIN+1 queued twice with payloads 11 and 22.
 * Check after SIGTERM: the fdinfo "sigmask" of the signalfd is SIGUSR1|SIGRTMIN+1; F_GETFL has
 * O_NONBLOCK; reading it gives SIGUSR1 (SI_USER, our pid), then SIGRTMIN+1 with 11 and 22
 * in order (SI_QUEUE), then EAGAIN; the signal mask is unchanged.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	unsigned long long want, got = 0;
	char path[64], buf[1024], *p;
	sigset_t set, cur;
	union sigval v;
	int fd, rt;

	zdtm_init(argc, argv);
	rt = SIGRTMIN + 1;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, rt);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK);
	if (fd < 0)
		zdtm_fail("signalfd: %m");
	kill(getpid(), SIGUSR1);
	v.sival_int = 11;
	sigqueue(getpid(), rt, v);
	v.sival_int = 22;
	sigqueue(getpid(), rt, v);
	want = (1ULL << (SIGUSR1 - 1)) | (1ULL << (rt - 1));

	zdtm_ready();
	zdtm_wait_for_term();

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "sigmask:");
	if (p)
		got = strtoull(p + 8, NULL, 16);
	zdtm_check(got == want, "signalfd sigmask %#llx, expected %#llx", got, want);
	zdtm_check(fcntl(fd, F_GETFL) & O_NONBLOCK, "the signalfd lost O_NONBLOCK");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	zdtm_check(sigismember(&cur, SIGUSR1) && sigismember(&cur, rt), "signals no longer blocked");
	zdtm_check(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1 && si.ssi_code == SI_USER &&
		   si.ssi_pid == (uint32_t)getpid(), "first read is not our SIGUSR1 (signo %u code %d)", si.ssi_signo,
		   si.ssi_code);
	zdtm_check(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == (uint32_t)rt && si.ssi_code == SI_QUEUE &&
		   si.ssi_int == 11, "second read: signo %u int %d, expected %d 11", si.ssi_signo, si.ssi_int, rt);
	zdtm_check(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == (uint32_t)rt && si.ssi_int == 22,
		   "third read: signo %u int %d, expected %d 22", si.ssi_signo, si.ssi_int, rt);
	errno = 0;
	zdtm_check(read(fd, &si, sizeof(si)) == -1 && errno == EAGAIN, "more signals than sent (%m)");
	zdtm_finish();
}
