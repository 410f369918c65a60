/*
 * transition_exec_chain: a child that execs itself over and over the whole time the tree is dumped.
 *
 * State: a child of the root runs a chain of execve()s of this program (/proc/self/exe) in a
 * mode of its own: link n writes a record (n, its PID, its parent's PID, a checksum of its
 * argv) into a pipe it inherited across every exec, sleeps 0.2 ms and execs link n+1, passing
 * n+1, the pipe's fd number and the root's PID in argv. So the dump catches the child just
 * after an exec, before one, or in one.
 * Check: the root reads the records and finds n = 0, 1, 2... without a gap or a repeat, always
 * from the same PID (exec keeps it) whose parent is the root, with the right checksum; each
 * link also checks that its argv is what the last one passed and that the pipe fd is the one
 * inherited (it would stop the chain otherwise: the root sees it as a gap or an early EOF);
 * after SIGTERM the root stops the chain (SIGTERM, which the exec'd program does not catch),
 * reads the rest up to EOF, the child ended by SIGTERM; links went on after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct link_rec {
	uint64_t n;
	int32_t pid, ppid;
	uint64_t sum;
};

static uint64_t link_sum(uint64_t n, pid_t pid, pid_t root)
{
	return zdtm_mix64(n * 0x100000001b3ULL ^ ((uint64_t)pid << 20) ^ (uint64_t)root);
}

/* One link of the chain: argv = { prog, "--chain-link", n, fd, root }. */
static int chain_link(char **argv)
{
	char *end;
	uint64_t n = strtoull(argv[2], &end, 10);
	int fd = atoi(argv[3]);
	pid_t root = atoi(argv[4]);
	struct stat st;
	char nbuf[32];

	/* The fd must be our inherited pipe's write end. */
	if (*end || fstat(fd, &st) || !S_ISFIFO(st.st_mode) || (fcntl(fd, F_GETFL) & O_ACCMODE) != O_WRONLY)
		return 20;
	struct link_rec r = { n, getpid(), getppid(), link_sum(n, getpid(), root) };
	if (getppid() != root)
		r.sum ^= 1;	/* the root sees it as wrong */
	if (write(fd, &r, sizeof(r)) != sizeof(r))
		return 21;
	usleep(200);
	snprintf(nbuf, sizeof(nbuf), "%llu", (unsigned long long)(n + 1));
	char *next[] = { argv[0], "--chain-link", nbuf, argv[3], argv[4], NULL };
	execv("/proc/self/exe", next);
	return 22;
}

int main(int argc, char **argv)
{
	int p[2], st;
	pid_t child;
	uint64_t want = 0, bad = 0, at_ready = 0;
	char fdbuf[16], rootbuf[16];

	if (argc == 5 && !strcmp(argv[1], "--chain-link"))
		return chain_link(argv);

	zdtm_init(argc, argv);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	snprintf(fdbuf, sizeof(fdbuf), "%d", p[1]);
	snprintf(rootbuf, sizeof(rootbuf), "%d", getpid());
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		close(p[0]);
		char *first[] = { argv[0], "--chain-link", "0", fdbuf, rootbuf, NULL };
		execv("/proc/self/exe", first);
		_exit(23);
	}
	close(p[1]);
	for (int phase = 0; phase < 3; phase++) {
		for (;;) {
			if (phase == 0 && want >= 20)
				break;
			if (phase == 1 && zdtm_term_requested())
				break;
			struct link_rec r;
			ssize_t n = read(p[0], &r, sizeof(r));
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0) {
				if (phase < 2) {
					zdtm_log("the chain ended at link %llu", (unsigned long long)want);
					bad++;
				}
				break;
			}
			if (n != sizeof(r))
				zdtm_fail("read %zd: %m", n);
			if (r.n != want || r.pid != child || r.ppid != getpid() || r.sum != link_sum(r.n, r.pid, getpid())) {
				if (bad++ < 5)
					zdtm_log("link %llu: record of link %llu from %d (parent %d)", (unsigned long long)want,
						 (unsigned long long)r.n, r.pid, r.ppid);
				want = r.n;
			}
			want++;
		}
		if (phase == 0) {
			at_ready = want;
			zdtm_ready();
		} else if (phase == 1) {
			kill(child, SIGTERM);
		}
		if (bad && phase < 2) {
			kill(child, SIGKILL);
			break;
		}
	}
	if (waitpid(child, &st, 0) != child)
		zdtm_fail("waitpid: %m");
	zdtm_log("%llu links (%llu at ready)", (unsigned long long)want, (unsigned long long)at_ready);
	zdtm_check(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the chain ended %#x", st);
	zdtm_check(bad == 0, "%llu breaks in the chain", (unsigned long long)bad);
	zdtm_check(want > at_ready, "no link after zdtm_ready");
	zdtm_finish();
}
