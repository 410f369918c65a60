/*
 * zdtm.c: start-up protocol, verdicts and helpers shared by the C tests.
 * See zdtm.h for the interface and docs/zdtm-tests.md for the protocol.
 */
#include "zdtm.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t zdtm_term_flag;

static char pidfile[PATH_MAX];
static char outfile[PATH_MAX];
static const char *progname = "zdtm";
static int ready_fd = -1;	/* write end of the ready pipe, until zdtm_ready() */
static int failures;
static int opt_argc;
static char **opt_argv;

/* ---- output ---- */

static void emit(const char *prefix, const char *file, int line, const char *fmt, va_list ap)
{
	char buf[4096];
	int n = snprintf(buf, sizeof(buf), "%s", prefix);
	if (file)
		n += snprintf(buf + n, sizeof(buf) - n, "%s:%d: ", file, line);
	if (n < (int)sizeof(buf))
		n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(STDOUT_FILENO, buf, n) < 0) {
		/* nowhere else to report */
	}
	/* Before ready the launcher shows what went wrong. */
	if (ready_fd >= 0 && prefix[0] != 'L' && write(ready_fd, buf, n) < 0) {
		/* the launcher is gone */
	}
}

void zdtm_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("LOG: ", NULL, 0, fmt, ap);
	va_end(ap);
}

void zdtm_pass(void)
{
	static const char msg[] = "PASS\n";
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		exit(1);
	exit(0);
}

void zdtm__fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("FAIL: ", file, line, fmt, ap);
	va_end(ap);
	exit(1);
}

void zdtm__check_failed(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	failures++;
	va_start(ap, fmt);
	emit("ERROR: ", file, line, fmt, ap);
	va_end(ap);
}

void zdtm__finish(const char *file, int line)
{
	if (failures)
		zdtm__fail(file, line, "%d check(s) failed", failures);
	zdtm_pass();
}

void zdtm_skip(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (ready_fd < 0)
		zdtm_fail("zdtm_skip() after zdtm_ready()");
	n = snprintf(buf, sizeof(buf), "%cSKIP: ", ZDTM_SKIP_MARK);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* The outfile gets the line without the mark. */
	if (write(STDOUT_FILENO, buf + 1, n - 1) < 0 || write(ready_fd, buf, n) < 0) {
		/* the launcher is gone */
	}
	exit(ZDTM_EXIT_SKIP);
}

int zdtm_failures(void)
{
	return failures;
}

/* ---- start-up ---- */

static void on_term(int sig)
{
	(void)sig;
	zdtm_term_flag = 1;
}

static void usage_exit(const char *why)
{
	fprintf(stderr, "%s: %s\nusage: %s --pidfile=PATH --outfile=PATH [--key=value ...]\n",
		progname, why, progname);
	exit(2);
}

static void make_absolute(char *dst, const char *src)
{
	char cwd[PATH_MAX];
	if (src[0] == '/') {
		snprintf(dst, PATH_MAX, "%s", src);
		return;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		usage_exit("getcwd failed");
	if (snprintf(dst, PATH_MAX, "%s/%s", cwd, src) >= PATH_MAX)
		usage_exit("path too long");
}

/* The launcher: exit 0 once the test says ready, 1 (with its words) if it dies first,
 * ZDTM_EXIT_SKIP (with the reason) if it called zdtm_skip(). */
static void launcher(int rfd, pid_t child) __attribute__((noreturn));
static void launcher(int rfd, pid_t child)
{
	char text[8192], chunk[512];
	size_t used = 0;
	int st, i, ready = 0;

	/* Ready is the byte 0 followed by EOF: the test has closed every copy of the pipe, so
	 * whoever starts looking at it once we exit sees no trace of the handshake. */
	for (;;) {
		ssize_t n = read(rfd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (chunk[i] == '\0')
				ready = 1;
			if (used < sizeof(text) - 1)
				text[used++] = chunk[i];
		}
	}
	if (ready)
		_exit(0);
	text[used] = '\0';
	/* The test cannot run here (zdtm_skip): its reason, and the skip status. */
	if (used > 0 && text[0] == ZDTM_SKIP_MARK) {
		fprintf(stderr, "%s", text + 1);
		_exit(ZDTM_EXIT_SKIP);
	}
	fprintf(stderr, "%s: test failed before it was ready\n%s", progname, text);
	for (i = 0; i < 50; i++) {
		pid_t r = waitpid(child, &st, WNOHANG);
		if (r == child) {
			if (WIFEXITED(st))
				fprintf(stderr, "%s: exited with status %d\n", progname, WEXITSTATUS(st));
			else if (WIFSIGNALED(st))
				fprintf(stderr, "%s: killed by signal %d\n", progname, WTERMSIG(st));
			break;
		}
		if (r < 0)
			break;
		usleep(100000);
	}
	_exit(1);
}

static void close_ready_in_child(void)
{
	if (ready_fd >= 0)
		close(ready_fd);
	ready_fd = -1;
}

static void close_others(int keep)
{
	long fd;
	if ((keep <= 3 || syscall(SYS_close_range, 3, keep - 1, 0) == 0) &&
	    syscall(SYS_close_range, keep + 1, ~0U, 0) == 0)
		return;
	for (fd = 3; fd < 65536; fd++)
		if (fd != keep)
			close(fd);
}

void zdtm_init(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t empty;
	int i, p[2], fd;
	pid_t pid;

	if (argc > 0 && argv[0]) {
		const char *s = strrchr(argv[0], '/');
		progname = s ? s + 1 : argv[0];
	}
	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--pidfile=", 10))
			make_absolute(pidfile, argv[i] + 10);
		else if (!strncmp(argv[i], "--outfile=", 10))
			make_absolute(outfile, argv[i] + 10);
	}
	if (!pidfile[0] || !outfile[0])
		usage_exit("--pidfile and --outfile are required");
	opt_argc = argc;
	opt_argv = argv;

	/* A known start: default dispositions, nothing blocked, fds 0-2 open. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP)
			sigaction(i, &sa, NULL);	/* glibc refuses its own two: fine */
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			usage_exit("cannot open /dev/null");

	if (pipe2(p, O_CLOEXEC))
		usage_exit("pipe failed");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		usage_exit("fork failed");
	if (pid > 0) {
		close(p[1]);
		launcher(p[0], pid);
	}

	close(p[0]);
	ready_fd = p[1];
	if (setsid() < 0)
		zdtm_fail("setsid: %m");
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		zdtm_fail("/dev/null: %m");
	if (fd != STDIN_FILENO)
		close(fd);
	fd = open(outfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		zdtm_fail("open %s: %m", outfile);
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0)
		zdtm_fail("dup2: %m");
	close_others(ready_fd);
	setvbuf(stdout, NULL, _IONBF, 0);
	setvbuf(stderr, NULL, _IONBF, 0);
	pthread_atfork(NULL, NULL, close_ready_in_child);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: SIGTERM interrupts waits */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL))
		zdtm_fail("sigaction(SIGTERM): %m");
}

const char *zdtm_opt(const char *name)
{
	size_t len = strlen(name);
	int i;
	for (i = 1; i < opt_argc; i++)
		if (!strncmp(opt_argv[i], "--", 2) && !strncmp(opt_argv[i] + 2, name, len) &&
		    opt_argv[i][2 + len] == '=')
			return opt_argv[i] + 3 + len;
	return NULL;
}

void zdtm_ready(void)
{
	char tmp[PATH_MAX + 32], num[32];
	char zero = 0;
	int fd, n;

	if (ready_fd < 0)
		zdtm_fail("zdtm_ready() without zdtm_init() or called twice");
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", pidfile, (int)getpid());
	n = snprintf(num, sizeof(num), "%d\n", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		zdtm_fail("open %s: %m", tmp);
	if (write(fd, num, n) != n)
		zdtm_fail("write %s: %m", tmp);
	close(fd);
	if (rename(tmp, pidfile))
		zdtm_fail("rename %s: %m", pidfile);
	if (write(ready_fd, &zero, 1) != 1)
		zdtm_fail("ready pipe: %m");
	close(ready_fd);
	ready_fd = -1;
}

void zdtm_wait_for_term(void)
{
	sigset_t term, old, wait;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	wait = old;
	sigdelset(&wait, SIGTERM);
	while (!zdtm_term_flag)
		sigsuspend(&wait);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void zdtm_wait_for_term_poll(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	while (!zdtm_term_flag)
		nanosleep(&ts, NULL);
}

int zdtm_term_requested(void)
{
	return zdtm_term_flag;
}

/* ---- patterns and checksums ---- */

uint64_t zdtm_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t pattern_word(uint64_t mseed, uint64_t w)
{
	return zdtm_mix64(mseed ^ (w * 0xd1342543de82ef95ULL));
}

uint8_t zdtm_pattern_byte(uint64_t seed, uint64_t off)
{
	return pattern_word(zdtm_mix64(seed), off >> 3) >> ((off & 7) * 8);
}

void zdtm_fill_at(void *buf, size_t len, uint64_t seed, uint64_t off)
{
	uint8_t *p = buf;
	uint64_t ms = zdtm_mix64(seed);
	size_t i = 0;

	for (; i < len && ((off + i) & 7); i++)
		p[i] = pattern_word(ms, (off + i) >> 3) >> (((off + i) & 7) * 8);
	for (; i + 8 <= len; i += 8) {
		uint64_t v = htole64(pattern_word(ms, (off + i) >> 3));
		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = pattern_word(ms, (off + i) >> 3) >> (((off + i) & 7) * 8);
}

void zdtm_fill(void *buf, size_t len, uint64_t seed)
{
	zdtm_fill_at(buf, len, seed, 0);
}

ssize_t zdtm_verify_at(const void *buf, size_t len, uint64_t seed, uint64_t off)
{
	const uint8_t *p = buf;
	uint64_t ms = zdtm_mix64(seed);
	size_t i = 0;

	for (; i < len; i++) {
		if (!((off + i) & 7) && i + 8 <= len) {
			uint64_t v = htole64(pattern_word(ms, (off + i) >> 3));
			if (!memcmp(p + i, &v, 8)) {
				i += 7;
				continue;
			}
		}
		if (p[i] != (uint8_t)(pattern_word(ms, (off + i) >> 3) >> (((off + i) & 7) * 8)))
			return i;
	}
	return -1;
}

ssize_t zdtm_verify(const void *buf, size_t len, uint64_t seed)
{
	return zdtm_verify_at(buf, len, seed, 0);
}

ssize_t zdtm_find_nonzero(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	size_t i;
	for (i = 0; i < len; i++)
		if (p[i])
			return i;
	return -1;
}

uint32_t zdtm_crc32(uint32_t crc, const void *buf, size_t len)
{
	static uint32_t table[256];
	const uint8_t *p = buf;
	uint32_t c;
	int i, k;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	}
	crc = ~crc;
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint64_t zdtm_fnv64(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ULL;
	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* ---- memory and paths ---- */

void *xmalloc(size_t size)
{
	void *p = malloc(size);
	if (!p)
		zdtm_fail("malloc(%zu) failed", size);
	return p;
}

char *xstrdup(const char *s)
{
	char *p = xmalloc(strlen(s) + 1);
	return strcpy(p, s);
}

const char *zdtm_tmp_path(const char *name)
{
	char dir[PATH_MAX], *slash, *path;
	snprintf(dir, sizeof(dir), "%s", outfile);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	path = xmalloc(strlen(dir) + strlen(progname) + strlen(name) + 3);
	sprintf(path, "%s/%s.%s", dir, progname, name);
	return path;
}

/* ---- /proc ---- */

size_t zdtm_read_file(const char *path, char *buf, size_t size)
{
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		zdtm_fail("open %s: %m", path);
	while (used < size - 1) {
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			zdtm_fail("read %s: %m", path);
		if (n == 0)
			break;
		used += n;
	}
	close(fd);
	buf[used] = '\0';
	return used;
}

void zdtm_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		zdtm_fail("open %s: %m", path);
	if (write(fd, buf, len) != (ssize_t)len)
		zdtm_fail("write %s: %m", path);
	close(fd);
}

static char procbuf[1 << 20];

void zdtm_status_field(const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	char *line = procbuf, *v, *end;

	zdtm_read_file("/proc/self/status", procbuf, sizeof(procbuf));
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, klen) || line[klen] != ':')
			continue;
		for (v = line + klen + 1; *v == ' ' || *v == '\t'; v++)
			;
		end = strchr(v, '\n');
		if (!end)
			end = v + strlen(v);
		snprintf(out, size, "%.*s", (int)(end - v), v);
		return;
	}
	zdtm_fail("no %s in /proc/self/status", key);
}

void zdtm_stat_field(int n, char *out, size_t size)
{
	char *p, *e;
	int i;

	zdtm_read_file("/proc/self/stat", procbuf, sizeof(procbuf));
	p = strchr(procbuf, '(');
	e = strrchr(procbuf, ')');
	if (!p || !e)
		zdtm_fail("bad /proc/self/stat");
	if (n == 1) {
		snprintf(out, size, "%.*s", (int)(p - 1 - procbuf), procbuf);
		return;
	}
	if (n == 2) {
		snprintf(out, size, "%.*s", (int)(e - p - 1), p + 1);
		return;
	}
	p = e + 2;	/* field 3 */
	for (i = 3; i < n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		zdtm_fail("/proc/self/stat has no field %d", n);
	e = strpbrk(p, " \n");
	snprintf(out, size, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
}

unsigned long long zdtm_stat_field_ull(int n)
{
	char v[64];
	zdtm_stat_field(n, v, sizeof(v));
	return strtoull(v, NULL, 10);
}

/* Calls fn for each line of /proc/self/maps until it returns nonzero. */
static int for_each_map(int (*fn)(const struct zdtm_map *, void *), void *arg)
{
	struct zdtm_map m;
	char *line = procbuf, *next;
	int pos, r;

	zdtm_read_file("/proc/self/maps", procbuf, sizeof(procbuf));
	for (; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		pos = 0;
		if (sscanf(line, "%lx-%lx %4s %llx %*s %llu %n", &m.start, &m.end, m.perms,
			   &m.offset, &m.inode, &pos) < 5)
			continue;
		snprintf(m.path, sizeof(m.path), "%s", pos ? line + pos : "");
		r = fn(&m, arg);
		if (r)
			return r;
	}
	return 0;
}

struct find_arg {
	unsigned long addr;
	struct zdtm_map *out;
};

static int find_cb(const struct zdtm_map *m, void *arg)
{
	struct find_arg *a = arg;
	if (a->addr < m->start || a->addr >= m->end)
		return 0;
	*a->out = *m;
	return 1;
}

int zdtm_find_map(const void *addr, struct zdtm_map *m)
{
	struct find_arg a = { (unsigned long)addr, m };
	return for_each_map(find_cb, &a) ? 0 : -1;
}

int zdtm_range_perms(const void *addr, size_t len, const char *perms)
{
	unsigned long a = (unsigned long)addr, end = a + len;
	struct zdtm_map m;

	while (a < end) {
		if (zdtm_find_map((void *)a, &m) || strcmp(m.perms, perms))
			return -1;
		a = m.end;
	}
	return 0;
}

long zdtm_count_present(const void *addr, size_t len)
{
	long psz = sysconf(_SC_PAGESIZE), count = 0, i;
	unsigned long first = (unsigned long)addr / psz;
	long pages = (len + psz - 1) / psz;
	uint64_t e;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		zdtm_fail("open pagemap: %m");
	for (i = 0; i < pages; i++) {
		if (pread(fd, &e, 8, (first + i) * 8) != 8)
			zdtm_fail("read pagemap: %m");
		if (e & (3ULL << 62))	/* present or swapped */
			count++;
	}
	close(fd);
	return count;
}

static sigjmp_buf probe_jb;

static void probe_handler(int sig)
{
	(void)sig;
	siglongjmp(probe_jb, 1);
}

int zdtm_probe(void *addr, int how, uint8_t val, int *ret)
{
	struct sigaction sa, old_segv, old_bus;
	volatile int ok = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (!sigsetjmp(probe_jb, 1)) {
		if (how == ZDTM_PROBE_READ) {
			(void)*(volatile uint8_t *)addr;
		} else if (how == ZDTM_PROBE_WRITE) {
			*(volatile uint8_t *)addr = val;
		} else {
			int r = ((int (*)(void))addr)();
			if (ret)
				*ret = r;
		}
		ok = 1;
	}
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return ok;
}

void zdtm_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
		;
}

uint64_t zdtm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
