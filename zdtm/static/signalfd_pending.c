/*
 * signalfd_pending: a blocking signalfd with signals pending on both queues: after restore it
 * is readable at once and read() gives every signal with its number, code, sender and payload.
 *
 * State: SIGUSR2, SIGRTMIN+2, SIGRTMIN+5, SIGRTMIN+9 and SIGWINCH blocked; a signalfd (no
 * flags) for SIGUSR2, SIGRTMIN+2 and SIGRTMIN+5 only. Pending: SIGRTMIN+5 queued with
 * sival_int 0x5eed0005, then SIGRTMIN+2 queued twice (sival_ptr 0x1122334455667788, then
 * sival_int -7), SIGUSR2 sent twice with kill() (one is kept), SIGRTMIN+5 again with tgkill
 * (thread queue, SI_TKILL), and SIGRTMIN+9 (sival_int 99) and SIGWINCH, which the signalfd
 * does not take.
 * Check after SIGTERM: poll() says readable now; the fdinfo sigmask is the three signals;
 * read() gives, in the kernel's order (the thread queue first, then the process queue;
 * lowest signal first within each): SIGRTMIN+5 SI_TKILL; SIGUSR2 SI_USER once; SIGRTMIN+2
 * SI_QUEUE ptr 0x1122334455667788, then SIGRTMIN+2 int -7; SIGRTMIN+5 int 0x5eed0005; every
 * one with our pid and uid; then poll() says nothing left. SIGRTMIN+9 (int 99) and SIGWINCH
 * are still pending (sigpending, sigtimedwait) and the mask is unchanged.
 */
#include "zdtm.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

struct want {
	int signo, code;
	int is_ptr;
	uint64_t value;
};

static unsigned long long fdinfo_mask(int fd)
{
	char path[64], buf[1024], *p;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	p = strstr(buf, "sigmask:");
	return p ? strtoull(p + 8, NULL, 16) : 0;
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

static void queue(int sig, union sigval v)
{
	if (sigqueue(getpid(), sig, v))
		zdtm_fail("sigqueue(%d): %m", sig);
}

int main(int argc, char **argv)
{
	int r2 = SIGRTMIN + 2, r5 = SIGRTMIN + 5, r9 = SIGRTMIN + 9, fd, i;
	struct signalfd_siginfo si;
	sigset_t blocked, taken, cur, pend;
	unsigned long long want_mask;
	struct timespec zero = { 0, 0 };
	siginfo_t info;
	union sigval v;

	zdtm_init(argc, argv);
	sigemptyset(&taken);
	sigaddset(&taken, SIGUSR2);
	sigaddset(&taken, r2);
	sigaddset(&taken, r5);
	blocked = taken;
	sigaddset(&blocked, r9);
	sigaddset(&blocked, SIGWINCH);
	sigprocmask(SIG_BLOCK, &blocked, NULL);
	fd = signalfd(-1, &taken, 0);
	if (fd < 0)
		zdtm_fail("signalfd: %m");
	want_mask = (1ULL << (SIGUSR2 - 1)) | (1ULL << (r2 - 1)) | (1ULL << (r5 - 1));

	v.sival_int = 0x5eed0005;
	queue(r5, v);
	v.sival_ptr = (void *)0x1122334455667788ULL;
	queue(r2, v);
	v.sival_ptr = NULL;
	v.sival_int = -7;
	queue(r2, v);
	kill(getpid(), SIGUSR2);
	kill(getpid(), SIGUSR2);
	if (syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), r5))
		zdtm_fail("tgkill: %m");
	v.sival_int = 99;
	queue(r9, v);
	kill(getpid(), SIGWINCH);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(readable(fd, 0), "the signalfd is not readable after restore");
	zdtm_check(fdinfo_mask(fd) == want_mask, "fdinfo sigmask %#llx, expected %#llx", fdinfo_mask(fd), want_mask);
	{
		struct want w[] = {
			{ r5, SI_TKILL, 0, 0 },
			{ SIGUSR2, SI_USER, 0, 0 },
			{ r2, SI_QUEUE, 1, 0x1122334455667788ULL },
			{ r2, SI_QUEUE, 0, (uint32_t)-7 },
			{ r5, SI_QUEUE, 0, 0x5eed0005 },
		};
		for (i = 0; i < (int)(sizeof(w) / sizeof(w[0])); i++) {
			memset(&si, 0, sizeof(si));
			if (!zdtm_check(readable(fd, 0), "read %d: nothing left (expected signal %d)", i, w[i].signo))
				break;
			if (!zdtm_check(read(fd, &si, sizeof(si)) == sizeof(si), "read %d: %m", i))
				break;
			zdtm_check(si.ssi_signo == (uint32_t)w[i].signo && si.ssi_code == w[i].code,
				   "read %d: signo %u code %d, expected %d code %d", i, si.ssi_signo, si.ssi_code,
				   w[i].signo, w[i].code);
			zdtm_check(si.ssi_pid == (uint32_t)getpid() && si.ssi_uid == getuid(),
				   "read %d: sender pid %u uid %u", i, si.ssi_pid, si.ssi_uid);
			if (w[i].code == SI_QUEUE && w[i].is_ptr)
				zdtm_check(si.ssi_ptr == w[i].value, "read %d: ssi_ptr %#llx, expected %#llx", i,
					   (unsigned long long)si.ssi_ptr, (unsigned long long)w[i].value);
			else if (w[i].code == SI_QUEUE)
				zdtm_check((uint32_t)si.ssi_int == (uint32_t)w[i].value, "read %d: ssi_int %d, expected %d",
					   i, si.ssi_int, (int)(uint32_t)w[i].value);
		}
	}
	zdtm_check(!readable(fd, 0), "the signalfd still has signals after the five sent");

	sigprocmask(SIG_BLOCK, NULL, &cur);
	for (i = 1; i < SIGRTMAX; i++)
		if (i != SIGKILL && i != SIGSTOP && sigismember(&cur, i) != sigismember(&blocked, i))
			zdtm_check(0, "signal %d %s blocked", i, sigismember(&cur, i) ? "became" : "is no longer");
	sigpending(&pend);
	zdtm_check(sigismember(&pend, r9) && sigismember(&pend, SIGWINCH) && !sigismember(&pend, r2) &&
		   !sigismember(&pend, r5) && !sigismember(&pend, SIGUSR2), "pending set after the reads is wrong");
	sigemptyset(&cur);
	sigaddset(&cur, r9);
	zdtm_check(sigtimedwait(&cur, &info, &zero) == r9 && info.si_code == SI_QUEUE && info.si_value.sival_int == 99,
		   "SIGRTMIN+9 not pending with its payload");
	sigemptyset(&cur);
	sigaddset(&cur, SIGWINCH);
	zdtm_check(sigtimedwait(&cur, &info, &zero) == SIGWINCH, "SIGWINCH not pending");
	zdtm_finish();
}
