/*
 * transition_file_append: a file growing under a reader the whole time the tree is dumped.
 *
 * State: a child appends 32-byte numbered records to a file through an O_APPEND fd (record n
 * carries n, the child's PID and a checksum) as fast as it can, with a pause now and then; the
 * parent reads them through its own fd on the same file as they come, so the dump catches the
 * file mid-growth, the writer's offset at the end of the file and the reader's somewhere behind.
 * Check: the writer's offset is right after each append (n+1 records) and it counts any that is
 * not; the reader gets every record once and in order (record n at offset 32n, its fields
 * right), its offset always matches what it read; after SIGTERM the child stops and reports how
 * many records it wrote and how many bad offsets it saw (through a pipe); the reader drains the
 * file and has exactly that many records, the file size is 32 times that, and reading went on
 * after zdtm_ready.
 */
#include "zdtm.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct rec {
	uint64_t seq;
	uint64_t pid;
	uint64_t sum;
	uint64_t magic;
};
#define MAGIC 0x7265636f72642121ULL

static uint64_t rec_sum(uint64_t seq, uint64_t pid)
{
	return zdtm_mix64(seq * 0x9e3779b97f4a7c15ULL ^ pid);
}

static void writer(const char *path, int report)
{
	uint64_t n = 0, bad_off = 0;
	int fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		_exit(10);
	while (!zdtm_term_requested()) {
		struct rec r = { n, (uint64_t)getpid(), rec_sum(n, getpid()), MAGIC };
		ssize_t w = write(fd, &r, sizeof(r));
		if (w < 0 && errno == EINTR)
			continue;
		if (w != sizeof(r))
			_exit(11);
		n++;
		if (lseek(fd, 0, SEEK_CUR) != (off_t)(n * sizeof(r)))
			bad_off++;
		if (n % 64 == 0)
			usleep(100);
	}
	uint64_t msg[2] = { n, bad_off };
	if (write(report, msg, sizeof(msg)) != sizeof(msg))
		_exit(12);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *path;
	int fd, rep[2], st;
	pid_t child;
	uint64_t want = 0, bad = 0, at_ready = 0, msg[2];
	struct rec buf[128];
	size_t have = 0;	/* bytes of a partial record at the start of buf */

	zdtm_init(argc, argv);
	path = zdtm_tmp_path("records");
	unlink(path);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		zdtm_fail("open %s: %m", path);
	if (pipe(rep))
		zdtm_fail("pipe: %m");
	child = fork();
	if (child < 0)
		zdtm_fail("fork: %m");
	if (child == 0) {
		close(fd);
		close(rep[0]);
		writer(path, rep[1]);
	}
	close(rep[1]);

	for (int phase = 0; phase < 3; phase++) {
		for (;;) {
			if (phase == 0 && want >= 5000)
				break;
			if (phase == 1 && zdtm_term_requested())
				break;
			ssize_t r = read(fd, (char *)buf + have, sizeof(buf) - have);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				zdtm_fail("read: %m");
			if (r == 0) {
				if (phase == 2)
					break;	/* the writer is gone: the end */
				usleep(200);
				continue;
			}
			have += r;
			size_t n = have / sizeof(struct rec);
			for (size_t i = 0; i < n; i++, want++) {
				struct rec *x = &buf[i];
				if (x->seq != want || x->pid != (uint64_t)child || x->magic != MAGIC ||
				    x->sum != rec_sum(x->seq, x->pid)) {
					if (bad++ < 5)
						zdtm_log("record %llu: seq %llu pid %llu", (unsigned long long)want,
							 (unsigned long long)x->seq, (unsigned long long)x->pid);
					want = x->seq;
				}
			}
			have -= n * sizeof(struct rec);
			memmove(buf, (char *)buf + n * sizeof(struct rec), have);
			off_t off = lseek(fd, 0, SEEK_CUR);
			if (off != (off_t)(want * sizeof(struct rec) + have) && bad++ < 5)
				zdtm_log("reader offset %lld after %llu records", (long long)off, (unsigned long long)want);
		}
		if (phase == 0) {
			at_ready = want;
			zdtm_ready();
		} else if (phase == 1) {
			kill(child, SIGTERM);
			if (waitpid(child, &st, 0) != child)
				zdtm_fail("waitpid: %m");
			if (!WIFEXITED(st) || WEXITSTATUS(st))
				zdtm_fail("writer ended %#x", st);
		}
	}
	if (read(rep[0], msg, sizeof(msg)) != sizeof(msg))
		zdtm_fail("no report from the writer");
	struct stat sb;
	if (fstat(fd, &sb))
		zdtm_fail("fstat: %m");
	zdtm_log("%llu records read (%llu at ready), the writer wrote %llu", (unsigned long long)want,
		 (unsigned long long)at_ready, (unsigned long long)msg[0]);
	zdtm_check(bad == 0, "%llu wrong records or offsets", (unsigned long long)bad);
	zdtm_check(have == 0, "%zu bytes of a partial record at the end", have);
	zdtm_check(msg[1] == 0, "the writer's offset was wrong %llu times", (unsigned long long)msg[1]);
	zdtm_check(want == msg[0], "read %llu records, the writer wrote %llu", (unsigned long long)want,
		   (unsigned long long)msg[0]);
	zdtm_check(sb.st_size == (off_t)(msg[0] * sizeof(struct rec)), "file size %lld for %llu records",
		   (long long)sb.st_size, (unsigned long long)msg[0]);
	zdtm_check(want > at_ready, "nothing read after zdtm_ready");
	close(fd);
	unlink(path);
	zdtm_finish();
}
