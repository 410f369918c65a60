/*
 * unix_ext_peer: a dgram socket connected to a path-bound socket that lives in a process
 * outside the dumped tree (dumped with --ext-unix-sk, restored with --ext-unix-sk).
 *
 * State: the test double-forks an "external" process X (its parent exits at once, so X is
 * reparented away and is not in the test's tree; X calls setsid() and holds none of the
 * test's fds). X binds a dgram socket to DIR/ext and records every datagram it receives into
 * DIR/ext.log (rewritten whole, by rename, after each one). The test's socket T, unbound, is
 * connect()ed to DIR/ext and sent it 200 bytes (seed 350), which X has logged before ready.
 * Check after SIGTERM: X is still alive; T's SO_TYPE is SOCK_DGRAM and getpeername is DIR/ext
 * (as recorded); T sends 300 bytes (seed 351) and X logs them: the log holds exactly the two
 * datagrams, in order, with their sizes and contents. The test then kills X.
 */
#include "unix_util.h"
#include <sys/syscall.h>

#define MAXLOG 4096

static pid_t ext_pid;

static void kill_ext(void)
{
	if (ext_pid > 0)
		kill(ext_pid, SIGKILL);
}

/* Is pid a live process (a zombie does not count)? */
static int alive(pid_t pid)
{
	char path[64], st[512], *r;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, st, sizeof(st) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	st[n] = 0;
	r = strrchr(st, ')');
	return !r || (r[1] != ' ' || (r[2] != 'Z' && r[2] != 'X'));
}

/*
 * The external process: receive, log, repeat. It ends when the test kills it, or by itself
 * once the test's pid has been gone for 120 s in a row (longer than a checkpoint-restore gap)
 * or nothing arrived for an hour.
 */
struct ext_args {
	const char *path, *logp;
	pid_t test;
};

static void ext_main(void *arg, int report) __attribute__((noreturn));
static void ext_main(void *arg, int report)
{
	static uint8_t logbuf[MAXLOG];
	const struct ext_args *x = arg;
	const char *logp = x->logp;
	pid_t test = x->test;
	char tmpp[PATH_MAX];
	struct timeval tv = { 1, 0 };
	struct ut_addr a = ut_path_addr(x->path);
	size_t used = 0;
	int s, idle = 0, orphan = 0, nul;
	pid_t me = getpid();

	setsid();
	nul = open("/dev/null", O_RDWR);
	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (nul > 2)
		close(nul);
	if (report != 3) {
		dup2(report, 3);
		close(report);
	}
	syscall(SYS_close_range, 4, ~0U, 0);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || ut_bind(s, &a) || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		_exit(3);
	if (write(3, &me, sizeof(me)) != sizeof(me))
		_exit(3);
	close(3);
	snprintf(tmpp, sizeof(tmpp), "%s.tmp", logp);
	while (idle < 3600 && orphan < 120) {
		uint8_t d[1024];
		ssize_t n = recv(s, d, sizeof(d), 0);
		uint32_t len;
		orphan = alive(test) ? 0 : orphan + 1;
		if (n < 0) {
			idle++;
			continue;
		}
		idle = 0;
		len = n;
		if (used + 4 + n > sizeof(logbuf))
			continue;
		memcpy(logbuf + used, &len, 4);
		memcpy(logbuf + used + 4, d, n);
		used += 4 + n;
		{
			int fd = open(tmpp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || write(fd, logbuf, used) != (ssize_t)used || close(fd) || rename(tmpp, logp))
				_exit(4);
		}
	}
	_exit(0);
}

/* Waits up to 5 s for the log to hold n entries; returns the entries found and fills lens/datas. */
static int read_log(const char *logp, int n, uint32_t *lens, uint8_t (*data)[1024])
{
	static char raw[MAXLOG + 1];
	int k = 0, tries;
	for (tries = 0; tries < 100; tries++) {
		size_t len = 0, off = 0;
		if (access(logp, F_OK) == 0)
			len = zdtm_read_file(logp, raw, sizeof(raw));
		k = 0;
		while (off + 4 <= len && k < 8) {
			uint32_t l;
			memcpy(&l, raw + off, 4);
			if (l > 1024 || off + 4 + l > len)
				break;
			lens[k] = l;
			memcpy(data[k], raw + off + 4, l);
			off += 4 + l;
			k++;
		}
		if (k >= n)
			break;
		zdtm_sleep_ms(50);
	}
	return k;
}

int main(int argc, char **argv)
{
	int t, tmp, k, i;
	const char *dir, *path, *logp;
	struct ut_addr want, pn, a;
	uint8_t buf[1024];
	static uint8_t data[8][1024];
	uint32_t lens[8];
	struct ext_args x;

	zdtm_init(argc, argv);
	dir = ut_sock_dir("sk", 8, &tmp);
	want = ut_sock_addr(dir, "ext", &path);
	logp = ut_sock_path(dir, "ext.log");
	x.path = path;
	x.logp = logp;
	x.test = getpid();
	ext_pid = ut_spawn_outside(ext_main, &x);
	atexit(kill_ext);
	t = ut_socket(SOCK_DGRAM);
	if (ut_connect(t, &want))
		zdtm_fail("connect %s: %m", path);
	zdtm_fill(buf, 200, 350);
	if (send(t, buf, 200, 0) != 200)
		zdtm_fail("send: %m");
	if (read_log(logp, 1, lens, data) != 1)
		zdtm_fail("the external process did not log the first datagram");
	pn = ut_peername(t);
	zdtm_log("external process %d", (int)ext_pid);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(kill(ext_pid, 0) == 0, "the external process %d is gone (%m)", (int)ext_pid);
	zdtm_check(ut_type(t) == SOCK_DGRAM, "T: SO_TYPE %d", ut_type(t));
	a = ut_peername(t);
	zdtm_check(ut_addr_eq(&a, &pn) && ut_addr_eq(&a, &want), "T: getpeername %s (%m), was %s", ut_addr_str(&a),
		   ut_addr_str(&pn));
	zdtm_fill(buf, 300, 351);
	zdtm_check(send(t, buf, 300, MSG_NOSIGNAL) == 300, "T: send to the external peer: %m");
	k = read_log(logp, 2, lens, data);
	zdtm_check(k == 2, "the external process logged %d datagrams, expected 2", k);
	for (i = 0; i < k && i < 2; i++)
		zdtm_check(lens[i] == (i ? 300u : 200u) && zdtm_verify(data[i], lens[i], 350 + i) < 0,
			   "logged datagram %d: %u bytes, not what was sent", i, lens[i]);
	kill_ext();
	ext_pid = 0;
	unlink(path);
	unlink(logp);
	if (tmp)
		rmdir(dir);
	zdtm_finish();
}
