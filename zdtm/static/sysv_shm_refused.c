/*
 * sysv_shm_refused: a System V shared memory segment attached by the root and a child.
 *
 * amber does not carry SysV IPC (it belongs to the IPC namespace, which amber does not
 * dump): the dump must be refused, naming the mapping, and leave both tasks running.
 * State: a 64 KiB segment (IPC_PRIVATE, marked for removal at once so it never outlives
 * the test) attached by the root, inherited by a child; the root wrote pattern 1 into the
 * first half, the child pattern 2 into the second.
 * Check after SIGTERM: both halves as written in both tasks, the segment still has two
 * attaches (shm_nattch) and is the same shmid /proc/self/maps names; a token written by
 * the root is seen by the child, which answers.
 */
#include "zdtm.h"
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN (64 * 1024)
#define HALF (LEN / 2)
#define TOK (LEN - 64)

static uint8_t *S;
static int id;

static int wait_for(volatile uint64_t *p, uint64_t v)
{
	int i;
	for (i = 0; i < 5000 && *p != v; i++)
		zdtm_sleep_ms(1);
	return *p == v;
}

static void check(const char *who)
{
	struct zdtm_map m;
	ssize_t off = zdtm_verify(S, HALF, 1);
	zdtm_check(off < 0, "%s: first half differs at %zd", who, off);
	off = zdtm_verify_at(S + HALF, HALF - 64, 2, HALF);
	zdtm_check(off < 0, "%s: second half differs at %zd", who, off);
	zdtm_check(zdtm_find_map(S, &m) == 0 && !strncmp(m.path, "/SYSV", 5) && m.inode == (unsigned)id,
		   "%s: the mapping at %p is '%s' inode %llu, not segment %d", who, S, m.path, m.inode, id);
}

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	int p[2], st = 0;
	pid_t c;
	char b;

	zdtm_init(argc, argv);
	id = shmget(IPC_PRIVATE, LEN, IPC_CREAT | 0600);
	if (id < 0)
		zdtm_fail("shmget: %m");
	S = shmat(id, NULL, 0);
	if (S == (void *)-1)
		zdtm_fail("shmat: %m");
	shmctl(id, IPC_RMID, NULL);
	zdtm_fill(S, HALF, 1);
	if (pipe(p))
		zdtm_fail("pipe: %m");
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		zdtm_fill_at(S + HALF, HALF - 64, 2, HALF);
		close(p[0]);
		if (write(p[1], "c", 1) != 1)
			_exit(3);
		close(p[1]);
		zdtm_wait_for_term();
		check("child");
		zdtm_check(wait_for((volatile uint64_t *)(S + TOK), 0x1234), "child: no token");
		*(volatile uint64_t *)(S + TOK + 8) = 0x5678;
		_exit(zdtm_failures() ? 1 : 42);
	}
	close(p[1]);
	{
		struct pollfd pfd = { p[0], POLLIN, 0 };
		if (poll(&pfd, 1, 10000) != 1 || read(p[0], &b, 1) != 1)
			zdtm_fail("the child did not report");
	}
	close(p[0]);

	zdtm_ready();
	zdtm_wait_for_term();

	kill(c, SIGTERM);
	check("root");
	zdtm_check(shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch == 2, "segment %d: %lu attaches, expected 2", id,
		   (unsigned long)ds.shm_nattch);
	*(volatile uint64_t *)(S + TOK) = 0x1234;
	zdtm_check(wait_for((volatile uint64_t *)(S + TOK + 8), 0x5678), "root: no answer");
	zdtm_check(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 42, "child ended with %#x", st);
	zdtm_finish();
}
