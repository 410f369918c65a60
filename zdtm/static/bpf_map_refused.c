/*
 * bpf_map_refused: a BPF array map holding a value. amber cannot carry BPF objects, so the
 * dump must be refused naming the fd, and the task left as it was.
 * Check after SIGTERM: the value is still in the map and a new one can be stored.
 */
#include "zdtm.h"
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *a) { return syscall(SYS_bpf, cmd, a, sizeof(*a)); }

static int put(int fd, uint32_t key, uint64_t v)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)&v;
	return (int)bpf(BPF_MAP_UPDATE_ELEM, &a);
}

static int get(int fd, uint32_t key, uint64_t *v)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.map_fd = fd;
	a.key = (uintptr_t)&key;
	a.value = (uintptr_t)v;
	return (int)bpf(BPF_MAP_LOOKUP_ELEM, &a);
}

int main(int argc, char **argv)
{
	union bpf_attr a;
	uint64_t v = 0;
	int fd;

	zdtm_init(argc, argv);
	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_ARRAY;
	a.key_size = 4;
	a.value_size = 8;
	a.max_entries = 4;
	fd = (int)bpf(BPF_MAP_CREATE, &a);
	if (fd < 0)
		zdtm_skip("BPF_MAP_CREATE: %m");
	if (put(fd, 1, 0x1234567890ULL))
		zdtm_fail("BPF_MAP_UPDATE_ELEM: %m");

	zdtm_ready();
	zdtm_wait_for_term();

	zdtm_check(get(fd, 1, &v) == 0 && v == 0x1234567890ULL, "map[1] = %#llx: %m", (unsigned long long)v);
	zdtm_check(put(fd, 2, 7) == 0 && get(fd, 2, &v) == 0 && v == 7, "a new value: %m");
	zdtm_finish();
}
