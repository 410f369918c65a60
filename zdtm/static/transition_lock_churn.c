/*
 * transition_lock_churn: fcntl write locks taken and released by three processes in turn the
 * whole time the tree is dumped (with --file-locks).
 *
 * State: the root and two children share a file (each with its own open file description).
 * Each loops: F_SETLKW a write lock on bytes 0-15, read the record there (a counter and the
 * holder's PID), check that nobody holds it (holder 0), write its PID as holder, add 1 to the
 * counter, write holder 0 back, unlock; every fourth turn it also takes a read lock on a range
 * of its own (100 + 10k) and drops it. So at any moment one process holds the lock and others
 * sleep in F_SETLKW, or the lock is free, when the tree is frozen.
 * Check: every holder found the record free (holder 0) and the counter one above what the
 * previous holder left (the lock excluded the others, and the record survived each
 * checkpoint); after SIGTERM the children stop (SIGTERM; an F_SETLKW interrupted by it is
 * just dropped) and report through a pipe how many turns they took and how many times they
 * found the record held: none; the counter equals the sum of everybody's turns; the lock is
 * free (F_GETLK); turns went on after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIDS 2

struct rec { uint64_t counter; int64_t holder; };

static int lk(int fd, short type, off_t start, off_t len, int wait)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
	return fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
}

/* One turn; returns 0, or -1 if interrupted (by SIGTERM) before the lock was taken. */
static int turn(int fd, int idx, uint64_t n, uint64_t *wrong)
{
	struct rec r;
	if (lk(fd, F_WRLCK, 0, 16, 1)) {
		if (errno == EINTR)
			return -1;
		zdtm_fail("F_SETLKW: %m");
	}
	if (pread(fd, &r, sizeof(r), 0) != sizeof(r))
		zdtm_fail("pread: %m");
	if (r.holder != 0)
		(*wrong)++;
	r.holder = getpid();
	if (pwrite(fd, &r, sizeof(r), 0) != sizeof(r))
		zdtm_fail("pwrite: %m");
	r.counter++;
	r.holder = 0;
	if (pwrite(fd, &r, sizeof(r), 0) != sizeof(r))
		zdtm_fail("pwrite: %m");
	if (lk(fd, F_UNLCK, 0, 16, 0))
		zdtm_fail("unlock: %m");
	if (n % 4 == 0) {
		if (lk(fd, F_RDLCK, 100 + 10 * idx, 10, 1) == 0)
			lk(fd, F_UNLCK, 100 + 10 * idx, 10, 0);
		else if (errno != EINTR)
			zdtm_fail("read lock: %m");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path;
	int fd, rep[2], st;
	pid_t kids[KIDS];
	uint64_t mine = 0, wrong = 0, at_ready = 0, total;
	struct rec r = { 0, 0 };

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("lockfile");
	unlink(path);
	zdtm_write_file(path, &r, sizeof(r));
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	for (int k = 0; k < KIDS; k++) {
		kids[k] = fork();
		if (kids[k] < 0)
			zdtm_fail("fork: %m");
		if (kids[k] == 0) {
			uint64_t n = 0, w = 0;
			close(rep[0]);
			int cfd = open(path, O_RDWR);
			if (cfd < 0)
				_exit(10);
			while (!zdtm_term_requested())
				if (turn(cfd, k + 1, n, &w) == 0)
					n++;
			uint64_t m[2] = { n, w };
			if (write(rep[1], m, sizeof(m)) != sizeof(m))
				_exit(11);
			_exit(0);
		}
	}
	close(rep[1]);
	fd = open(path, O_RDWR);
	if (fd < 0)
		zdtm_fail("open: %m");
	while (mine < 500)
		if (turn(fd, 0, mine, &wrong) == 0)
			mine++;
	at_ready = mine;
	zdtm_ready();
	while (!zdtm_term_requested()) {
		if (turn(fd, 0, mine, &wrong) == 0)
			mine++;
		if (mine % 32 == 0)
			usleep(200);
	}
	total = mine;
	for (int k = 0; k < KIDS; k++)
		kill(kids[k], SIGTERM);
	for (int k = 0; k < KIDS; k++) {
		uint64_t m[2];
		if (waitpid(kids[k], &st, 0) != kids[k])
			zdtm_fail("waitpid: %m");
		zdtm_check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d ended %#x", k, st);
		if (read(rep[0], m, sizeof(m)) != sizeof(m))
			zdtm_fail("no report from a child");
		zdtm_log("a child: %llu turns", (unsigned long long)m[0]);
		zdtm_check(m[1] == 0, "a child found the record held %llu times", (unsigned long long)m[1]);
		total += m[0];
	}
	if (pread(fd, &r, sizeof(r), 0) != sizeof(r))
		zdtm_fail("pread: %m");
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	if (fcntl(fd, F_GETLK, &fl))
		zdtm_fail("F_GETLK: %m");
	zdtm_log("root: %llu turns (%llu at ready); counter %llu", (unsigned long long)mine, (unsigned long long)at_ready,
		 (unsigned long long)r.counter);
	zdtm_check(wrong == 0, "the root found the record held %llu times", (unsigned long long)wrong);
	zdtm_check(r.holder == 0, "record left held by %lld", (long long)r.holder);
	zdtm_check(r.counter == total, "counter %llu, %llu turns taken", (unsigned long long)r.counter,
		   (unsigned long long)total);
	zdtm_check(fl.l_type == F_UNLCK, "a lock is still held by %d", fl.l_pid);
	zdtm_check(mine > at_ready, "no turn after zdtm_ready");
	close(fd);
	unlink(path);
	zdtm_finish();
}
