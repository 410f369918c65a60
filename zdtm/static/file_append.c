/*
 * file_append: O_APPEND writes after restore.
 *
 * State: a file with 100 pattern bytes written through an
 * O_WRONLY|O_APPEND fd that was then lseek()ed back to 0, and a second
 * O_RDWR fd (no O_APPEND) on the same file at offset 50.
 * Check after SIGTERM: the append fd still has O_APPEND and offset 0, the
 * other fd no O_APPEND and offset 50; writing "AFTER" through the append
 * fd lands at the end (size 105, its offset becomes 105); writing "xy"
 * through the other fd lands at 50; the file then holds exactly that.
 */
#include "zdtm.h"
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint8_t pat[100], want[105], got[200];
	const char *path;
	struct stat st;
	int ap, rw, fl_ap, fl_rw;

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("log");
	zdtm_fill(pat, sizeof(pat), 5);
	ap = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (ap < 0 || write(ap, pat, 100) != 100 || lseek(ap, 0, SEEK_SET) != 0)
		zdtm_fail("set up %s: %m", path);
	rw = open(path, O_RDWR);
	if (rw < 0 || lseek(rw, 50, SEEK_SET) != 50)
		zdtm_fail("open %s: %m", path);
	fl_ap = fcntl(ap, F_GETFL);
	fl_rw = fcntl(rw, F_GETFL);

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(fcntl(ap, F_GETFL) == fl_ap && (fl_ap & O_APPEND), "append fd flags %#o, were %#o",
		   fcntl(ap, F_GETFL), fl_ap);
	zdtm_check(fcntl(rw, F_GETFL) == fl_rw && !(fl_rw & O_APPEND), "rw fd flags %#o, were %#o",
		   fcntl(rw, F_GETFL), fl_rw);
	zdtm_check(lseek(ap, 0, SEEK_CUR) == 0, "append fd offset %lld, expected 0",
		   (long long)lseek(ap, 0, SEEK_CUR));
	zdtm_check(lseek(rw, 0, SEEK_CUR) == 50, "rw fd offset %lld, expected 50",
		   (long long)lseek(rw, 0, SEEK_CUR));
	zdtm_check(fstat(ap, &st) == 0 && st.st_size == 100, "size %lld before writing", (long long)st.st_size);
	zdtm_check(write(ap, "AFTER", 5) == 5, "append write: %m");
	zdtm_check(lseek(ap, 0, SEEK_CUR) == 105, "append fd offset %lld after writing, expected 105",
		   (long long)lseek(ap, 0, SEEK_CUR));
	zdtm_check(write(rw, "xy", 2) == 2, "rw write: %m");
	memcpy(want, pat, 100);
	memcpy(want + 50, "xy", 2);
	memcpy(want + 100, "AFTER", 5);
	zdtm_check(pread(rw, got, sizeof(got), 0) == 105 && !memcmp(got, want, 105),
		   "file contents wrong after the writes");
	unlink(path);
	zdtm_finish();
}
