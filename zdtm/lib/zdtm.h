/*
 * zdtm.h: the library every C test program of amber's zdtm suite links.
 *
 * A test program is started as
 *     NAME --pidfile=PATH --outfile=PATH [--key=value ...]
 * It calls zdtm_init() (parses the options and daemonizes), sets up its
 * state, calls zdtm_ready() (writes the pidfile, releases the launcher),
 * waits for SIGTERM with zdtm_wait_for_term() (or polls
 * zdtm_term_requested()), then verifies its state and ends with
 * zdtm_pass(), zdtm_fail() or zdtm_finish(). docs/zdtm-tests.md describes
 * the protocol in full.
 */
#ifndef ZDTM_H
#define ZDTM_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Syscalls newer than some C libraries' lists (Debian 11's glibc 2.31 knows neither): the
 * numbers are the same on every architecture from close_range on.
 */
#include <sys/syscall.h>
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

/* Set to 1 by the library's SIGTERM handler. */
extern volatile sig_atomic_t zdtm_term_flag;

/* Parses --pidfile/--outfile (exit 2 if one is missing) and daemonizes. */
void zdtm_init(int argc, char **argv);
/* Value of a test-specific option --name=value, or NULL. */
const char *zdtm_opt(const char *name);
/* Writes the pidfile, tells the launcher "ready" and closes the ready pipe. */
void zdtm_ready(void);
/* Blocks in sigsuspend() until SIGTERM arrived; the signal mask is as before on return. */
void zdtm_wait_for_term(void);
/* Waits in short nanosleep()s; never changes the signal mask. */
void zdtm_wait_for_term_poll(void);
/* Nonzero once SIGTERM arrived (for busy loops). */
int zdtm_term_requested(void);

/* Verdicts. Output goes to the outfile (stdout), one write per line. */
void zdtm_pass(void) __attribute__((noreturn));
void zdtm__fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void zdtm__check_failed(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void zdtm__finish(const char *file, int line) __attribute__((noreturn));
void zdtm_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Before zdtm_ready(): the test cannot run on this machine (a facility it needs is missing).
 * Prints "SKIP: reason"; the launcher exits with ZDTM_EXIT_SKIP and the runner reports the
 * test as skipped, not failed. Only for what the machine lacks, never for what amber lacks.
 */
#define ZDTM_EXIT_SKIP 3
#define ZDTM_SKIP_MARK '\001'
void zdtm_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* Number of failed zdtm_check()s so far. */
int zdtm_failures(void);

#define zdtm_fail(...) zdtm__fail(__FILE__, __LINE__, __VA_ARGS__)
/* Evaluates to 1 if cond holds; otherwise reports, counts a failure and evaluates to 0. */
#define zdtm_check(cond, ...) ({ \
	int zdtm_ok__ = !!(cond); \
	if (!zdtm_ok__) \
		zdtm__check_failed(__FILE__, __LINE__, __VA_ARGS__); \
	zdtm_ok__; })
/* PASS if no check failed, else FAIL with the count. */
#define zdtm_finish() zdtm__finish(__FILE__, __LINE__)

/*
 * Seeded patterns. Byte i of the pattern (counted from the start of the
 * object, so that a page found at the wrong place is caught) depends on
 * seed and i only. The *_at variants treat buf as starting at offset off.
 * zdtm_verify* return -1 when everything matches, else the first bad
 * offset relative to buf.
 */
void zdtm_fill(void *buf, size_t len, uint64_t seed);
void zdtm_fill_at(void *buf, size_t len, uint64_t seed, uint64_t off);
ssize_t zdtm_verify(const void *buf, size_t len, uint64_t seed);
ssize_t zdtm_verify_at(const void *buf, size_t len, uint64_t seed, uint64_t off);
uint8_t zdtm_pattern_byte(uint64_t seed, uint64_t off);
/* -1 if all bytes are zero, else the offset of the first nonzero byte. */
ssize_t zdtm_find_nonzero(const void *buf, size_t len);
uint64_t zdtm_mix64(uint64_t x);

uint32_t zdtm_crc32(uint32_t crc, const void *buf, size_t len);
uint64_t zdtm_fnv64(const void *buf, size_t len);

/* A path in the directory of --outfile: DIR/<program name>.<name>. Never freed. */
const char *zdtm_tmp_path(const char *name);

void *xmalloc(size_t size);
char *xstrdup(const char *s);

/* Small /proc helpers; all fail the test on unexpected errors. */
/* Reads a whole file into buf (NUL-terminated); returns the byte count. */
size_t zdtm_read_file(const char *path, char *buf, size_t size);
/* Writes len bytes to path (O_CREAT|O_TRUNC, 0644). */
void zdtm_write_file(const char *path, const void *buf, size_t len);
/* The value of "Key:" in /proc/self/status, whitespace trimmed. */
void zdtm_status_field(const char *key, char *out, size_t size);
/* Field n (1-based, as in proc(5)) of /proc/self/stat. */
void zdtm_stat_field(int n, char *out, size_t size);
unsigned long long zdtm_stat_field_ull(int n);

struct zdtm_map {
	unsigned long start, end;
	char perms[5];
	unsigned long long offset;
	unsigned long long inode;
	char path[512];
};
/* Finds the /proc/self/maps line containing addr: 0 if found, -1 if not. */
int zdtm_find_map(const void *addr, struct zdtm_map *m);
/* 0 if [addr, addr+len) is covered by mappings that all have these perms ("rw-p"). */
int zdtm_range_perms(const void *addr, size_t len, const char *perms);
/* Pages of [addr, addr+len) present in RAM according to /proc/self/pagemap. */
long zdtm_count_present(const void *addr, size_t len);

/* Does an access fault? 1 = the access worked, 0 = SIGSEGV/SIGBUS. */
enum { ZDTM_PROBE_READ, ZDTM_PROBE_WRITE, ZDTM_PROBE_EXEC };
/* WRITE stores `val`; EXEC calls addr as int (*)(void) and stores its result in *ret. */
int zdtm_probe(void *addr, int how, uint8_t val, int *ret);

/* Sleeps ms milliseconds, resuming after signals. */
void zdtm_sleep_ms(long ms);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t zdtm_now_ns(void);

#endif
