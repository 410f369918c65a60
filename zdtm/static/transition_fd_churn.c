/*
 * transition_fd_churn: the fd table changed by open, dup, dup2, fcntl and close the whole time the
 * process is dumped.
 *
 * State: a loop keeps up to 48 fds among 10..255 open on four files of its own (each with
 * distinct contents), /dev/null and a pipe; each round it does one random step: opens a file
 * (a new open file description at a random offset), dups an fd (F_DUPFD or F_DUPFD_CLOEXEC at
 * a random floor, or dup2/dup3 onto a random number, replacing what was there), toggles
 * FD_CLOEXEC, moves an offset, or closes an fd. A model records, for every fd number, which
 * file it is, which open file description (shared offsets), and its close-on-exec flag.
 * Check every round for the fd just changed and every 16th round for the whole table: the set
 * of open fds in /proc/self/fd is exactly the model's; each fd is the right file (inode, and a
 * read at its offset gives the expected byte; a pipe end the same pipe as the originals), fds sharing a description share the offset
 * (kcmp-free: moving one moves the other), FD_CLOEXEC and the access mode are as set; after
 * SIGTERM the same for every fd, and rounds went on after zdtm_ready.
 */
#include "zdtm.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXFD 256
#define FILES 4
#define FSIZE 8192
#define MAXOPEN 48
#define LOWFD 10	/* the model's fds are LOWFD..MAXFD-1; below, placeholders and the ready pipe */

enum kind { NONE, FILEK, DEVNULL, PIPER, PIPEW };

struct ofd {	/* an open file description as the model knows it */
	int used;
	enum kind kind;
	int file;	/* FILEK: which file */
	off_t off;	/* FILEK: its offset */
	int acc;	/* O_RDONLY or O_RDWR */
};

struct slot {
	int open;
	int ofd;	/* index into ofds */
	int cloexec;
};

static struct slot fds[MAXFD];
static struct ofd ofds[MAXFD];
static char paths[FILES][4096];
static ino_t inos[FILES];
static ino_t null_ino, pipe_ino;
static int pipe_r, pipe_w;	/* the pipe's original fds, outside the model's range */
static uint64_t bad, rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint8_t file_byte(int f, off_t off)
{
	return zdtm_pattern_byte(0x1000 + f, off);
}

static int nopen(void)
{
	int n = 0;
	for (int i = 0; i < MAXFD; i++)
		n += fds[i].open;
	return n;
}

static int new_ofd(enum kind k, int file, off_t off, int acc)
{
	for (int i = 0; i < MAXFD; i++)
		if (!ofds[i].used) {
			ofds[i] = (struct ofd){ 1, k, file, off, acc };
			return i;
		}
	zdtm_fail("model full");
}

static void drop_ofd_if_unused(int o)
{
	for (int i = 0; i < MAXFD; i++)
		if (fds[i].open && fds[i].ofd == o)
			return;
	ofds[o].used = 0;
}

static void model_close(int fd)
{
	if (!fds[fd].open)
		return;
	fds[fd].open = 0;
	drop_ofd_if_unused(fds[fd].ofd);
}

static int random_open_fd(void)
{
	int n = nopen();
	if (!n)
		return -1;
	int k = rnd() % n;
	for (int i = 0; i < MAXFD; i++)
		if (fds[i].open && k-- == 0)
			return i;
	return -1;
}

static void check_fd(int fd, uint64_t round)
{
	struct slot *s = &fds[fd];
	struct stat st;
	int fl = fcntl(fd, F_GETFD);
	if (!s->open) {
		if (fl >= 0 && bad++ < 10)
			zdtm_log("round %llu: fd %d open, expected closed", (unsigned long long)round, fd);
		return;
	}
	struct ofd *o = &ofds[s->ofd];
	if (fl < 0 || fstat(fd, &st)) {
		if (bad++ < 10)
			zdtm_log("round %llu: fd %d closed, expected open", (unsigned long long)round, fd);
		return;
	}
	/*
	 * A restored pipe is a new pipe object: the same one as the originals' ends, whatever its
	 * number. A restore may fall between two fstat()s, so the pipe's inode is read before and
	 * after the fd's and the fd read again until both agree (no restore in between).
	 */
	if (o->kind == PIPER || o->kind == PIPEW) {
		struct stat before, after;
		for (;;) {
			if (fstat(pipe_r, &before) || fstat(fd, &st) || fstat(pipe_r, &after))
				zdtm_fail("fstat pipe: %m");
			if (before.st_ino == after.st_ino)
				break;
		}
		pipe_ino = after.st_ino;
	}
	ino_t want = o->kind == FILEK ? inos[o->file] : o->kind == DEVNULL ? null_ino : pipe_ino;
	int acc = fcntl(fd, F_GETFL) & O_ACCMODE;
	int want_acc = o->kind == PIPER ? O_RDONLY : o->kind == PIPEW ? O_WRONLY : o->acc;
	if ((st.st_ino != want || !!(fl & FD_CLOEXEC) != s->cloexec || acc != want_acc) && bad++ < 10)
		zdtm_log("round %llu: fd %d: inode %llu (expected %llu), cloexec %d (expected %d), mode %d (expected %d)",
			 (unsigned long long)round, fd, (unsigned long long)st.st_ino, (unsigned long long)want,
			 !!(fl & FD_CLOEXEC), s->cloexec, acc, want_acc);
	if (o->kind == FILEK) {
		off_t off = lseek(fd, 0, SEEK_CUR);
		uint8_t b;
		if (off != o->off && bad++ < 10)
			zdtm_log("round %llu: fd %d at offset %lld, expected %lld", (unsigned long long)round, fd, (long long)off,
				 (long long)o->off);
		if (o->off < FSIZE && (pread(fd, &b, 1, o->off) != 1 || b != file_byte(o->file, o->off)) && bad++ < 10)
			zdtm_log("round %llu: fd %d: wrong byte at %lld", (unsigned long long)round, fd, (long long)o->off);
	}
}

static void check_all(uint64_t round)
{
	int seen[MAXFD] = { 0 };
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (!d)
		zdtm_fail("opendir: %m");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd == dirfd(d) || fd < LOWFD || fd == pipe_r || fd == pipe_w)
			continue;
		if (fd >= MAXFD || !fds[fd].open) {
			if (bad++ < 10)
				zdtm_log("round %llu: fd %d is open, the model has it closed", (unsigned long long)round, fd);
			continue;
		}
		seen[fd] = 1;
	}
	closedir(d);
	for (int fd = LOWFD; fd < MAXFD; fd++) {
		if (fds[fd].open && !seen[fd] && bad++ < 10)
			zdtm_log("round %llu: fd %d missing from /proc/self/fd", (unsigned long long)round, fd);
		check_fd(fd, round);
	}
	/* Shared offsets: move each file description through one fd, read it back through another. */
	for (int o = 0; o < MAXFD; o++) {
		if (!ofds[o].used || ofds[o].kind != FILEK)
			continue;
		int a = -1, b = -1;
		for (int fd = LOWFD; fd < MAXFD; fd++)
			if (fds[fd].open && fds[fd].ofd == o)
				a < 0 ? (a = fd) : (b = fd);
		if (b < 0)
			continue;
		off_t to = (ofds[o].off + 17) % FSIZE;
		lseek(a, to, SEEK_SET);
		ofds[o].off = to;
		if (lseek(b, 0, SEEK_CUR) != to && bad++ < 10)
			zdtm_log("round %llu: fds %d and %d do not share an offset", (unsigned long long)round, a, b);
	}
}

static int free_fd_number(void)
{
	for (int tries = 0; tries < 1000; tries++) {
		int fd = LOWFD + rnd() % (MAXFD - LOWFD);
		if (fd != pipe_r && fd != pipe_w)
			return fd;
	}
	return -1;
}

/* An operation on an fd the model has open failed: the table is not what it was. */
static int ready_done;
static void broken(const char *what, int fd)
{
	if (!ready_done)
		zdtm_fail("%s on fd %d: %m", what, fd);
	zdtm_log("%s on fd %d: %m", what, fd);
	zdtm_check(0, "the fd table changed behind the test's back");
	zdtm_wait_for_term();
	zdtm_finish();
}

static int step(uint64_t round)
{
	int op = rnd() % 8, n = nopen();
	if (n >= MAXOPEN)
		op = 7;	/* close */
	if (n < 4)
		op = 0;
	switch (op) {
	case 0: case 1: {	/* open something new */
		int what = rnd() % 6, fd, o;
		if (what < FILES) {
			int acc = rnd() % 2 ? O_RDWR : O_RDONLY;
			off_t off = rnd() % FSIZE;
			fd = open(paths[what], acc);
			if (fd < 0)
				zdtm_fail("open: %m");
			lseek(fd, off, SEEK_SET);
			o = new_ofd(FILEK, what, off, acc);
		} else if (what == 4) {
			fd = open("/dev/null", O_RDWR);
			o = new_ofd(DEVNULL, 0, 0, O_RDWR);
		} else {
			int end = rnd() % 2;
			fd = fcntl(end ? pipe_w : pipe_r, F_DUPFD, LOWFD);
			/* The pipe's ends are one description each, shared with the originals. */
			o = -1;
			for (int i = 0; i < MAXFD; i++)
				if (ofds[i].used && ofds[i].kind == (end ? PIPEW : PIPER))
					o = i;
			if (o < 0)
				o = new_ofd(end ? PIPEW : PIPER, 0, 0, end ? O_WRONLY : O_RDONLY);
		}
		if (fd < 0)
			zdtm_fail("open/dup: %m");
		if (fd >= MAXFD) {
			close(fd);
			drop_ofd_if_unused(o);
			return -1;
		}
		fds[fd] = (struct slot){ 1, o, 0 };
		return fd;
	}
	case 2: {	/* F_DUPFD / F_DUPFD_CLOEXEC at a floor */
		int from = random_open_fd(), floor = LOWFD + rnd() % 200, ce = rnd() % 2;
		int fd = fcntl(from, ce ? F_DUPFD_CLOEXEC : F_DUPFD, floor);
		if (fd < 0)
			broken("F_DUPFD", from);
		if (fd >= MAXFD || fd == pipe_r || fd == pipe_w) {
			close(fd);
			return -1;
		}
		fds[fd] = (struct slot){ 1, fds[from].ofd, ce };
		return fd;
	}
	case 3: {	/* dup2 / dup3 over a random number */
		int from = random_open_fd(), to = free_fd_number(), ce = rnd() % 2;
		if (to < 0 || to == from)
			return -1;
		int r = ce ? dup3(from, to, O_CLOEXEC) : dup2(from, to);
		if (r != to)
			broken("dup2/dup3", from);
		int o = fds[from].ofd;
		model_close(to);
		fds[to] = (struct slot){ 1, o, ce };
		return to;
	}
	case 4: {	/* toggle FD_CLOEXEC */
		int fd = random_open_fd();
		fds[fd].cloexec = !fds[fd].cloexec;
		if (fcntl(fd, F_SETFD, fds[fd].cloexec ? FD_CLOEXEC : 0))
			broken("F_SETFD", fd);
		return fd;
	}
	case 5: case 6: {	/* move an offset */
		int fd = random_open_fd();
		struct ofd *o = &ofds[fds[fd].ofd];
		if (o->kind != FILEK)
			return fd;
		o->off = rnd() % (FSIZE + 100);
		if (lseek(fd, o->off, SEEK_SET) != o->off)
			broken("lseek", fd);
		return fd;
	}
	default: {	/* close */
		int fd = random_open_fd();
		if (close(fd))
			broken("close", fd);
		model_close(fd);
		return fd;
	}
	}
}

int main(int argc, char **argv)
{
	uint64_t round = 0, at_ready = 0;
	int p[2];
	struct stat st;
	uint8_t *buf = xmalloc(FSIZE);

	zdtm_init(argc, argv);
	for (int f = 0; f < FILES; f++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", f);
		snprintf(paths[f], sizeof(paths[f]), "%s", zdtm_tmp_path(name));
		for (int i = 0; i < FSIZE; i++)
			buf[i] = file_byte(f, i);
		zdtm_write_file(paths[f], buf, FSIZE);
		if (stat(paths[f], &st))
			zdtm_fail("stat: %m");
		inos[f] = st.st_ino;
	}
	if (stat("/dev/null", &st))
		zdtm_fail("stat /dev/null: %m");
	null_ino = st.st_ino;
	/* Fill the fds below LOWFD, so that open() gives the model's range. */
	for (;;) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			zdtm_fail("open /dev/null: %m");
		if (fd >= LOWFD) {
			close(fd);
			break;
		}
	}
	/* The pipe itself sits above the model's range. */
	if (pipe(p))
		zdtm_fail("pipe: %m");
	pipe_r = fcntl(p[0], F_DUPFD, 900);
	pipe_w = fcntl(p[1], F_DUPFD, 900);
	close(p[0]);
	close(p[1]);
	if (pipe_r < 0 || pipe_w < 0 || fstat(pipe_r, &st))
		zdtm_fail("pipe fds: %m");
	pipe_ino = st.st_ino;
	for (;; round++) {
		if (round == 2000) {
			check_all(round);
			if (bad)
				zdtm_fail("%llu errors before zdtm_ready", (unsigned long long)bad);
			at_ready = round;
			zdtm_ready();
			ready_done = 1;
		}
		if (round > 2000 && zdtm_term_requested())
			break;
		int fd = step(round);
		if (fd >= 0)
			check_fd(fd, round);
		if (round % 16 == 0)
			check_all(round);
	}
	check_all(round);
	zdtm_log("%llu rounds (%llu at ready), %d fds open", (unsigned long long)round, (unsigned long long)at_ready, nopen());
	zdtm_check(bad == 0, "%llu fd table errors", (unsigned long long)bad);
	zdtm_check(round > at_ready + 1, "no round after zdtm_ready");
	for (int f = 0; f < FILES; f++)
		unlink(paths[f]);
	zdtm_finish();
}
