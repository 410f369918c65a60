/*
 * inotify_watches: an inotify instance with watches on files and directories, with gaps in
 * the wd numbers, IN_ONESHOT, IN_EXCL_UNLINK, IN_MASK_ADD and IN_ONLYDIR; the restore must
 * give every watch its wd back and must itself cause no event.
 *
 * State: a work directory D (also the cwd) holding a (watched IN_MODIFY|IN_ATTRIB|IN_ONESHOT,
 * then IN_DELETE_SELF added with IN_MASK_ADD), sub/ (IN_CREATE|IN_DELETE|IN_ONLYDIR), held
 * (IN_OPEN|IN_CLOSE|IN_ACCESS|IN_MODIFY, kept open read-write), mapped (IN_OPEN|IN_ACCESS|
 * IN_CLOSE, mapped MAP_SHARED; held is fd 50, above the inotify fd) and deep/ (IN_MOVED_TO, wd pushed to 60 by 53 watches added and
 * removed); D itself is watched IN_ALL_EVENTS|IN_EXCL_UNLINK. wd 2 was removed (a gap).
 * Every event of the set-up is read before the checkpoint: the queue is empty.
 * Check after SIGTERM:
 *   - no event is queued (FIONREAD 0, read gives EAGAIN): opening held, mapping mapped and
 *     entering D at restore were not reported; fd flags O_NONBLOCK and FD_CLOEXEC;
 *   - fdinfo lists exactly the six watches, with the wds recorded at set-up, the masks worked
 *     out by hand (0x4000fff, 0x80000406, 0x300, 0x3b, 0x39, 0x80) and the inode numbers stat gives;
 *   - changes made now are reported with the right wds: a write to a gives IN_MODIFY on a's
 *     watch then IN_IGNORED (one-shot), and a second write nothing more on it; a file created
 *     and removed in sub/ gives IN_CREATE/IN_DELETE on sub's watch; a read through the held fd
 *     gives IN_ACCESS on held's watch; a rename into deep/ IN_MOVED_TO on deep's watch; a write
 *     through an fd of an unlinked file gives D's watch no IN_MODIFY (IN_EXCL_UNLINK);
 *   - a new watch gets wd 61 (the next after the highest).
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXEV 256
static struct { int wd; unsigned mask; char name[64]; } evs[MAXEV];
static int nev;
static int in;

/* Reads every queued event (the fd is nonblocking) into evs. */
static void collect(void)
{
	char buf[8192] __attribute__((aligned(8)));
	ssize_t n;
	nev = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (nev < MAXEV) {
				evs[nev].wd = e->wd;
				evs[nev].mask = e->mask;
				snprintf(evs[nev].name, sizeof(evs[nev].name), "%s", e->len ? e->name : "");
				nev++;
			}
			p += sizeof(*e) + e->len;
		}
	}
}

static int seen(int wd, unsigned bit, const char *name)
{
	for (int i = 0; i < nev; i++)
		if (evs[i].wd == wd && (evs[i].mask & bit) && (!name || !strcmp(evs[i].name, name)))
			return 1;
	return 0;
}

static void dump_events(const char *why)
{
	for (int i = 0; i < nev; i++)
		zdtm_log("%s: wd %d mask %#x name '%s'", why, evs[i].wd, evs[i].mask, evs[i].name);
}

static void touch(const char *path, const char *data)
{
	int f = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);
	if (f < 0 || write(f, data, strlen(data)) != (ssize_t)strlen(data))
		zdtm_fail("write %s: %m", path);
	close(f);
}

static void check_fdinfo(int wd, unsigned mask, const char *path)
{
	char p[64], info[8192], want[128];
	struct stat st;
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", in);
	zdtm_read_file(p, info, sizeof(info));
	if (stat(path, &st))
		zdtm_fail("stat %s: %m", path);
	snprintf(want, sizeof(want), "inotify wd:%x ino:%lx sdev:", wd, (unsigned long)st.st_ino);
	char *line = strstr(info, want);
	zdtm_check(line != NULL, "fdinfo has no watch %d on %s (ino %lx):\n%s", wd, path, (unsigned long)st.st_ino, info);
	if (line) {
		snprintf(want, sizeof(want), " mask:%x ignored_mask:0 ", mask);
		char *end = strchr(line, '\n');
		char *m = strstr(line, want);
		zdtm_check(m && (!end || m < end), "watch %d on %s: mask is not %#x:\n%s", wd, path, mask, info);
	}
}

int main(int argc, char **argv)
{
	char d[PATH_MAX], a[PATH_MAX + 16], sub[PATH_MAX + 16], held[PATH_MAX + 16], mapped[PATH_MAX + 16];
	char deep[PATH_MAX + 16], tmp[PATH_MAX + 32], b[PATH_MAX + 16], c[PATH_MAX + 16], info[8192], p[64];
	int w_dir, w_gap, w_a, w_a2, w_sub, w_held, w_mapped, w_deep, hfd, mfd, bfd, i, q = -1;
	char *map;

	zdtm_init(argc, argv);
	snprintf(d, sizeof(d), "%s", zdtm_tmp_path("watched"));
	snprintf(a, sizeof(a), "%s/a", d);
	snprintf(sub, sizeof(sub), "%s/sub", d);
	snprintf(held, sizeof(held), "%s/held", d);
	snprintf(mapped, sizeof(mapped), "%s/mapped", d);
	snprintf(deep, sizeof(deep), "%s/deep", d);
	snprintf(b, sizeof(b), "%s/b", d);
	snprintf(c, sizeof(c), "%s/c", d);
	mkdir(d, 0755);
	mkdir(sub, 0755);
	mkdir(deep, 0755);
	touch(a, "a");
	touch(held, "held data");
	touch(c, "c");
	hfd = open(held, O_RDWR);
	mfd = open(mapped, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (hfd < 0 || mfd < 0 || ftruncate(mfd, 4096))
		zdtm_fail("open: %m");
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (map == MAP_FAILED)
		zdtm_fail("mmap: %m");
	close(mfd);
	memcpy(map, "mapped", 6);
	if (chdir(d))
		zdtm_fail("chdir: %m");

	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0)
		zdtm_fail("inotify_init1: %m");
	/* Above the inotify fd, so that a restore opening files in fd order opens held after it. */
	if (dup2(hfd, 50) != 50)
		zdtm_fail("dup2: %m");
	close(hfd);
	hfd = 50;
	w_dir = inotify_add_watch(in, d, IN_ALL_EVENTS | IN_EXCL_UNLINK);
	w_gap = inotify_add_watch(in, c, IN_MODIFY);
	if (w_gap < 0 || inotify_rm_watch(in, w_gap))
		zdtm_fail("gap watch: %m");
	w_a = inotify_add_watch(in, a, IN_MODIFY | IN_ATTRIB | IN_ONESHOT);
	w_a2 = inotify_add_watch(in, a, IN_DELETE_SELF | IN_MASK_ADD);
	w_sub = inotify_add_watch(in, sub, IN_CREATE | IN_DELETE | IN_ONLYDIR);
	w_held = inotify_add_watch(in, held, IN_OPEN | IN_CLOSE | IN_ACCESS | IN_MODIFY);
	w_mapped = inotify_add_watch(in, mapped, IN_OPEN | IN_ACCESS | IN_CLOSE);
	for (i = 0; i < 53; i++) {
		int w = inotify_add_watch(in, c, IN_MODIFY);
		if (w < 0 || inotify_rm_watch(in, w))
			zdtm_fail("filler watch %d: %m", i);
	}
	w_deep = inotify_add_watch(in, deep, IN_MOVED_TO);
	if (w_dir < 0 || w_a < 0 || w_a2 != w_a || w_sub < 0 || w_held < 0 || w_mapped < 0 || w_deep < 0)
		zdtm_fail("inotify_add_watch: %m");
	if (w_dir != 1 || w_a != 3 || w_deep != 60)
		zdtm_fail("unexpected wds %d %d %d (kernel allocates them in order)", w_dir, w_a, w_deep);
	collect(); /* the IN_IGNORED of the removed watches */
	if (ioctl(in, FIONREAD, &q) || q != 0)
		zdtm_fail("events still queued at set-up: %d bytes", q);
	zdtm_log("wds: dir %d a %d sub %d held %d mapped %d deep %d", w_dir, w_a, w_sub, w_held, w_mapped, w_deep);

	zdtm_ready();
	zdtm_wait_for_term();

	/* 1. The restore caused nothing. */
	q = -1;
	zdtm_check(ioctl(in, FIONREAD, &q) == 0 && q == 0, "FIONREAD says %d bytes queued after restore", q);
	collect();
	zdtm_check(nev == 0, "%d events queued that nobody caused (the restore's own?)", nev);
	dump_events("spurious");
	zdtm_check((fcntl(in, F_GETFL) & O_NONBLOCK) && (fcntl(in, F_GETFD) & FD_CLOEXEC), "inotify fd flags changed");

	/* 2. The watches, as fdinfo shows them. */
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", in);
	zdtm_read_file(p, info, sizeof(info));
	{
		int lines = 0;
		for (char *s = info; (s = strstr(s, "inotify wd:")); s++)
			lines++;
		zdtm_check(lines == 6, "fdinfo lists %d watches, expected 6:\n%s", lines, info);
	}
	check_fdinfo(w_dir, 0x4000fff, d);
	check_fdinfo(w_a, 0x80000406, a);
	check_fdinfo(w_sub, 0x300, sub);
	check_fdinfo(w_held, 0x3b, held);
	check_fdinfo(w_mapped, 0x39, mapped);
	check_fdinfo(w_deep, 0x80, deep);
	zdtm_check(!memcmp(map, "mapped", 6), "mapping lost its data");

	/* 3. Events of changes made now. */
	touch(a, "1");
	collect();
	zdtm_check(seen(w_a, IN_MODIFY, ""), "no IN_MODIFY on a's watch %d", w_a);
	zdtm_check(seen(w_a, IN_IGNORED, ""), "one-shot watch %d of a not removed after its event", w_a);
	zdtm_check(seen(w_dir, IN_MODIFY, "a") && seen(w_dir, IN_OPEN, "a") && seen(w_dir, IN_CLOSE_WRITE, "a"),
		   "D's watch %d missed the open/modify/close of a", w_dir);
	dump_events("write a");
	touch(a, "2");
	collect();
	zdtm_check(!seen(w_a, ~0u, NULL), "one-shot watch %d of a fired twice", w_a);
	zdtm_check(seen(w_dir, IN_MODIFY, "a"), "D's watch missed the second write to a");

	snprintf(tmp, sizeof(tmp), "%s/new", sub);
	touch(tmp, "n");
	unlink(tmp);
	collect();
	zdtm_check(seen(w_sub, IN_CREATE, "new") && seen(w_sub, IN_DELETE, "new"), "sub's watch %d missed create/delete", w_sub);
	zdtm_check(!seen(w_dir, ~0u, "new"), "D's watch saw a file of sub/");

	zdtm_check(pread(hfd, tmp, 4, 0) == 4, "pread held: %m");
	collect();
	zdtm_check(seen(w_held, IN_ACCESS, "") && seen(w_dir, IN_ACCESS, "held"), "no IN_ACCESS for a read of held (watch %d)", w_held);

	snprintf(tmp, sizeof(tmp), "%s/x", sub);
	touch(tmp, "x");
	{
		char to[PATH_MAX + 32];
		snprintf(to, sizeof(to), "%s/x", deep);
		zdtm_check(rename(tmp, to) == 0, "rename: %m");
		collect();
		zdtm_check(seen(w_deep, IN_MOVED_TO, "x"), "deep's watch %d missed IN_MOVED_TO", w_deep);
		unlink(to);
	}

	bfd = open(b, O_CREAT | O_RDWR, 0644);
	zdtm_check(bfd >= 0 && unlink(b) == 0, "b: %m");
	collect();
	zdtm_check(write(bfd, "b", 1) == 1, "write b: %m");
	collect();
	zdtm_check(!seen(w_dir, IN_MODIFY, "b"), "IN_EXCL_UNLINK lost: D's watch reported a write to unlinked b");
	close(bfd);

	zdtm_check(inotify_add_watch(in, c, IN_MODIFY) == w_deep + 1, "a new watch did not get wd %d", w_deep + 1);
	zdtm_finish();
}
