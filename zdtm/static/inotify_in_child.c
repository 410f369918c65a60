/*
 * inotify_in_child: inotify instances held by a child and by the parent, watching the same
 * directory and file with different masks.
 *
 * State: a work directory D with a file F. Child C holds inotify IC (IN_NONBLOCK) with a
 * watch on D (IN_CREATE|IN_DELETE) and on F (IN_MODIFY|IN_ATTRIB). The test R holds its
 * own inotify IR with a watch on F (IN_MODIFY|IN_ONESHOT). Nothing is queued.
 * Check after SIGTERM: neither queue has an event (the restore caused none); C's watch
 * descriptors are the ones it got (fdinfo wd and mask). R appends to F: IR gets exactly one
 * IN_MODIFY on its wd, then IN_IGNORED (one-shot); C gets IN_MODIFY on F's wd. R chmods F:
 * C gets IN_ATTRIB, IR nothing. R creates and removes D/new: C gets IN_CREATE "new" then
 * IN_DELETE "new" on D's wd. A second append reaches C only.
 */
#include "kid_util.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

static volatile int *sh;	/* [0] C ready [1] wd D [2] wd F [3] go [4] step [5] step done [6] C result */

/* Reads the queue (waiting up to ms for the first event) into "wd:mask:name;" entries. */
static void drain(int fd, char *out, size_t size, int ms)
{
	char buf[4096] __attribute__((aligned(8)));
	size_t o = 0;
	ssize_t n;
	int i;
	out[0] = 0;
	for (i = 0; i < ms / 10 + 1; i++) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			char *p = buf;
			while (p < buf + n) {
				struct inotify_event *e = (struct inotify_event *)p;
				o += snprintf(out + o, size - o, "%d:%x:%s;", e->wd, e->mask, e->len ? e->name : "");
				p += sizeof(*e) + e->len;
			}
			zdtm_sleep_ms(30);
			continue;
		}
		if (o)
			return;
		zdtm_sleep_ms(10);
	}
}

static int has_watch(int fd, int wd, unsigned mask)
{
	char p[64], b[4096], *q;
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(p, b, sizeof(b));
	for (q = b; (q = strstr(q, "inotify wd:")); q++) {
		int w;
		unsigned m;
		if (sscanf(q, "inotify wd:%x ino:%*x sdev:%*x mask:%x", &w, &m) == 2 && w == wd && m == mask)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX - 16], file[PATH_MAX], nw[PATH_MAX], got[1024], want[256];
	int ir, wr, fd;
	pid_t c;

	zdtm_init(argc, argv);
	sh = kid_shared_page();
	snprintf(dir, sizeof(dir), "%s", zdtm_tmp_path("dir"));
	snprintf(file, sizeof(file), "%s/F", dir);
	snprintf(nw, sizeof(nw), "%s/new", dir);
	mkdir(dir, 0755);
	zdtm_write_file(file, "start\n", 6);
	c = fork();
	if (c < 0)
		zdtm_fail("fork: %m");
	if (c == 0) {
		int ic = inotify_init1(IN_NONBLOCK), wd, wf, before;
		wd = inotify_add_watch(ic, dir, IN_CREATE | IN_DELETE);
		wf = inotify_add_watch(ic, file, IN_MODIFY | IN_ATTRIB);
		if (ic < 0 || wd < 0 || wf < 0)
			_exit(10);
		sh[1] = wd;
		sh[2] = wf;
		kid_set_word(&sh[0], 1);
		while (!kid_wait_word(&sh[3], 1, 1000000))
			;
		before = zdtm_failures();
		drain(ic, got, sizeof(got), 200);
		zdtm_check(!got[0], "C: events after restore: %s", got);
		zdtm_check(has_watch(ic, wd, IN_CREATE | IN_DELETE) && has_watch(ic, wf, IN_MODIFY | IN_ATTRIB), "C: fdinfo lacks wd %d or %d",
			   wd, wf);
		kid_set_word(&sh[5], 1);
		kid_wait_word(&sh[4], 1, 5000);
		drain(ic, got, sizeof(got), 2000);
		snprintf(want, sizeof(want), "%d:%x:;", wf, IN_MODIFY);
		zdtm_check(!strcmp(got, want), "C: after the append '%s', expected '%s'", got, want);
		kid_set_word(&sh[5], 2);
		kid_wait_word(&sh[4], 2, 5000);
		drain(ic, got, sizeof(got), 2000);
		snprintf(want, sizeof(want), "%d:%x:;", wf, IN_ATTRIB);
		zdtm_check(!strcmp(got, want), "C: after chmod '%s', expected '%s'", got, want);
		kid_set_word(&sh[5], 3);
		kid_wait_word(&sh[4], 3, 5000);
		drain(ic, got, sizeof(got), 2000);
		snprintf(want, sizeof(want), "%d:%x:new;%d:%x:new;", wd, IN_CREATE, wd, IN_DELETE);
		zdtm_check(!strcmp(got, want), "C: after create/unlink '%s', expected '%s'", got, want);
		kid_set_word(&sh[5], 4);
		kid_wait_word(&sh[4], 4, 5000);
		drain(ic, got, sizeof(got), 2000);
		snprintf(want, sizeof(want), "%d:%x:;", wf, IN_MODIFY);
		zdtm_check(!strcmp(got, want), "C: after the second append '%s', expected '%s'", got, want);
		kid_set_word(&sh[5], 5);
		_exit(zdtm_failures() != before);
	}
	if (!kid_wait_word(&sh[0], 1, 5000))
		zdtm_fail("C did not watch");
	ir = inotify_init1(IN_NONBLOCK);
	wr = inotify_add_watch(ir, file, IN_MODIFY | IN_ONESHOT);
	if (ir < 0 || wr < 0)
		zdtm_fail("inotify: %m");
	zdtm_log("C %d wds %d %d, R wd %d", (int)c, sh[1], sh[2], wr);

	zdtm_ready();
	zdtm_wait_for_term();

	kid_set_word(&sh[3], 1);
	drain(ir, got, sizeof(got), 200);
	zdtm_check(!got[0], "R: events after restore: %s", got);
	zdtm_check(has_watch(ir, wr, IN_MODIFY | IN_ONESHOT), "R: fdinfo lacks wd %d", wr);
	zdtm_check(kid_wait_word(&sh[5], 1, 5000), "C did not check");
	fd = open(file, O_WRONLY | O_APPEND);
	zdtm_check(fd >= 0 && write(fd, "more\n", 5) == 5, "append: %m");
	close(fd);
	kid_set_word(&sh[4], 1);
	drain(ir, got, sizeof(got), 2000);
	snprintf(want, sizeof(want), "%d:%x:;%d:%x:;", wr, IN_MODIFY, wr, IN_IGNORED);
	zdtm_check(!strcmp(got, want), "R: after the append '%s', expected '%s'", got, want);
	zdtm_check(kid_wait_word(&sh[5], 2, 5000), "C step 1");
	zdtm_check(chmod(file, 0600) == 0, "chmod: %m");
	kid_set_word(&sh[4], 2);
	zdtm_check(kid_wait_word(&sh[5], 3, 5000), "C step 2");
	zdtm_check(close(open(nw, O_CREAT | O_WRONLY, 0644)) == 0 && unlink(nw) == 0, "create/unlink: %m");
	kid_set_word(&sh[4], 3);
	zdtm_check(kid_wait_word(&sh[5], 4, 5000), "C step 3");
	fd = open(file, O_WRONLY | O_APPEND);
	zdtm_check(fd >= 0 && write(fd, "again\n", 6) == 6, "append: %m");
	close(fd);
	kid_set_word(&sh[4], 4);
	zdtm_check(kid_wait_word(&sh[5], 5, 5000), "C step 4");
	drain(ir, got, sizeof(got), 200);
	zdtm_check(!got[0], "R: events after its one-shot watch ended: %s", got);
	kid_reap_ok(c, "C", 5000);
	unlink(file);
	rmdir(dir);
	zdtm_finish();
}
