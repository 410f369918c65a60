/*
 * memfd_exec_flags: memfds created with MFD_NOEXEC_SEAL and MFD_EXEC, one exec-sealed later.
 *
 * State: N = memfd_create("nx", MFD_NOEXEC_SEAL) (mode 0666, F_SEAL_EXEC set by the kernel)
 * and X = memfd_create("x", MFD_EXEC|MFD_ALLOW_SEALING) (mode 0777), both holding a copy of
 * /bin/true; X then fchmod 0750 and sealed F_SEAL_EXEC. A third, E = memfd_create("e",
 * MFD_EXEC) without sealing, holds the same copy.
 * Check after SIGTERM: modes 0666, 0750 and 0777 (type regular), seals: N exactly F_SEAL_EXEC,
 * X F_SEAL_EXEC with the write seals the kernel adds for an executable memfd
 * (SHRINK|GROW|WRITE|FUTURE_WRITE), E F_SEAL_SEAL (not sealable); fchmod of N and X fails with EPERM and their
 * modes stay, fchmod of E works; contents equal /bin/true; a child fexecve()s X and E and
 * they exit 0, fexecve of N fails with EACCES.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

/* F_SEAL_EXEC on a memfd with exec bits brings the write seals with it (memfd_add_seals). */
#define X_SEALS (F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

static char *prog;
static size_t prog_len;

static int make(const char *name, unsigned flags)
{
	int fd = memfd_create(name, flags);
	if (fd < 0) {
		if (errno == EINVAL)
			zdtm_skip("memfd_create(%s, %#x): EINVAL (no MFD_EXEC/MFD_NOEXEC_SEAL)", name, flags);
		zdtm_fail("memfd_create %s: %m", name);
	}
	if (write(fd, prog, prog_len) != (ssize_t)prog_len)
		zdtm_fail("write %s: %m", name);
	return fd;
}

/* A child fexecve()s fd: its exit status, or 1000 + errno when the exec failed. */
static int run(int fd)
{
	int p, st;
	volatile int *e = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *av[] = { "true", NULL }, *ev[] = { NULL };
	*e = 0;
	p = fork();
	if (p == 0) {
		fexecve(fd, av, ev);
		*e = errno;
		_exit(99);
	}
	if (p < 0 || waitpid(p, &st, 0) != p)
		return -1;
	st = *e ? 1000 + *e : WIFEXITED(st) ? WEXITSTATUS(st) : 500;
	munmap((void *)e, 4096);
	return st;
}

static int same_contents(int fd)
{
	char *b = xmalloc(prog_len + 1);
	int ok = pread(fd, b, prog_len + 1, 0) == (ssize_t)prog_len && !memcmp(b, prog, prog_len);
	free(b);
	return ok;
}

int main(int argc, char **argv)
{
	int n, x, e, sn, sx, se, r;
	struct stat st;
	int in;

	zdtm_init(argc, argv);
	in = open("/bin/true", O_RDONLY);
	if (in < 0 || fstat(in, &st))
		zdtm_fail("/bin/true: %m");
	prog_len = st.st_size;
	prog = xmalloc(prog_len);
	if (read(in, prog, prog_len) != (ssize_t)prog_len)
		zdtm_fail("read /bin/true: %m");
	close(in);
	n = make("nx", MFD_NOEXEC_SEAL);
	x = make("x", MFD_EXEC | MFD_ALLOW_SEALING);
	e = make("e", MFD_EXEC);
	if (fchmod(x, 0750) || fcntl(x, F_ADD_SEALS, F_SEAL_EXEC))
		zdtm_fail("seal X: %m");
	if (run(x) != 0 || run(e) != 0 || run(n) != 1000 + EACCES)
		zdtm_fail("exec before the checkpoint: X %d E %d N %d", run(x), run(e), run(n));

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fstat(n, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0666, "N mode %o, expected 0666", st.st_mode);
	zdtm_check(fstat(x, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0750, "X mode %o, expected 0750", st.st_mode);
	zdtm_check(fstat(e, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0777, "E mode %o, expected 0777", st.st_mode);
	sn = fcntl(n, F_GET_SEALS);
	sx = fcntl(x, F_GET_SEALS);
	se = fcntl(e, F_GET_SEALS);
	zdtm_check(sn == F_SEAL_EXEC, "N seals %#x, expected F_SEAL_EXEC", sn);
	zdtm_check(sx == X_SEALS, "X seals %#x, expected %#x (EXEC and, as X is executable, the write seals)", sx, X_SEALS);
	zdtm_check(se == F_SEAL_SEAL, "E seals %#x, expected F_SEAL_SEAL", se);
	errno = 0;
	zdtm_check(fchmod(n, 0777) < 0 && errno == EPERM, "fchmod of N was not refused: %m");
	errno = 0;
	zdtm_check(fchmod(x, 0700) < 0 && errno == EPERM, "fchmod of X was not refused: %m");
	zdtm_check(fstat(n, &st) == 0 && (st.st_mode & 07777) == 0666 && fstat(x, &st) == 0 && (st.st_mode & 07777) == 0750,
		   "a refused fchmod changed a mode");
	zdtm_check(same_contents(n) && same_contents(x) && same_contents(e), "contents differ from /bin/true");
	zdtm_check((r = run(x)) == 0, "fexecve of X: %d", r);
	zdtm_check((r = run(e)) == 0, "fexecve of E: %d", r);
	zdtm_check((r = run(n)) == 1000 + EACCES, "fexecve of N: %d, expected EACCES", r);
	zdtm_check(fchmod(e, 0640) == 0 && (r = run(e)) == 1000 + EACCES, "E after fchmod 0640: exec gave %d", r);
	zdtm_finish();
}
