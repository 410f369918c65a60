/*
 * io_uring_refused: an io_uring instance. amber cannot carry io_uring state (rings, requests in
 * flight), so the dump must be refused naming the fd, and the task left as it was.
 * Check after SIGTERM: the fd is still an io_uring (fdinfo shows its rings) and a NOP submitted
 * through it completes (io_uring_enter with the SQ and CQ mapped).
 */
#include "zdtm.h"
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct io_uring_params p;
	char path[64], buf[4096];
	unsigned *sq_tail, *sq_array, *cq_head, *cq_tail, *sq_mask;
	struct io_uring_sqe *sqes;
	uint8_t *sq, *cq;
	int fd, r;

	zdtm_init(argc, argv);
	memset(&p, 0, sizeof(p));
	fd = syscall(SYS_io_uring_setup, 4, &p);
	if (fd < 0)
		zdtm_skip("io_uring_setup: %m");
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
		zdtm_fail("mmap of the rings: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	zdtm_read_file(path, buf, sizeof(buf));
	/* The ring's own rows: SqMask and on (newer kernels), UserFiles and PollList (5.10 too). */
	zdtm_check(strstr(buf, "SqMask") != NULL || strstr(buf, "PollList") != NULL, "fdinfo of the ring shows none of its rows:\n%s", buf);
	sq_tail = (unsigned *)(sq + p.sq_off.tail);
	sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	sq_array = (unsigned *)(sq + p.sq_off.array);
	cq_head = (unsigned *)(cq + p.cq_off.head);
	cq_tail = (unsigned *)(cq + p.cq_off.tail);
	memset(&sqes[0], 0, sizeof(sqes[0]));
	sqes[0].opcode = IORING_OP_NOP;
	sqes[0].user_data = 42;
	sq_array[*sq_tail & *sq_mask] = 0;
	__atomic_store_n(sq_tail, *sq_tail + 1, __ATOMIC_RELEASE);
	r = syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	zdtm_check(r == 1, "io_uring_enter: %d (%m)", r);
	zdtm_check(__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) != *cq_head, "no completion for the NOP");
	zdtm_finish();
}
