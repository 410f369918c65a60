/*
 * heap_growth: the brk heap grown by malloc() and by sbrk().
 *
 * State: 3000 malloc() chunks of 16..4111 bytes, each filled with a
 * pattern seeded by its index, every 5th freed again (a fragmented heap);
 * then 64 KiB more taken with sbrk() and filled. Recorded before the
 * checkpoint: the kernel's brk (raw brk(0) syscall, not glibc's cached
 * value), start_brk from /proc/self/stat, the [heap] VMA, mallinfo2().
 * Check after SIGTERM: the kernel's brk, start_brk, the [heap] VMA and
 * mallinfo2() are unchanged, glibc's sbrk(0) agrees with the kernel, every
 * live chunk and the sbrk area hold their patterns; the heap can still
 * grow (brk up by 3 pages, written, brk back) and malloc/free still work.
 */
#include "zdtm.h"
#include <malloc.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* mallinfo2() is glibc 2.33's (Debian 11 has 2.31): there mallinfo()'s int fields say the same. */
#if defined(__GLIBC__) && !__GLIBC_PREREQ(2, 33)
#define mallinfo2 mallinfo
typedef struct mallinfo mallinfo_t;
#else
typedef struct mallinfo2 mallinfo_t;
#endif

#define NCHUNK 3000
#define SBRK_SIZE (64 * 1024)

static size_t chunk_size(int i)
{
	return 16 + (zdtm_mix64(i) % 4096);
}

static unsigned long kernel_brk(void)
{
	return syscall(SYS_brk, 0);
}

int main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	unsigned long brk_before, brk_after, start_brk;
	mallinfo_t mi_before, mi_after;
	struct zdtm_map heap_before, heap_after;
	uint8_t **chunks, *extra;
	ssize_t bad;
	int i;

	zdtm_init(argc, argv);
	chunks = xmalloc(NCHUNK * sizeof(*chunks));
	for (i = 0; i < NCHUNK; i++) {
		chunks[i] = xmalloc(chunk_size(i));
		zdtm_fill(chunks[i], chunk_size(i), 9000 + i);
	}
	for (i = 0; i < NCHUNK; i += 5) {
		free(chunks[i]);
		chunks[i] = NULL;
	}
	extra = sbrk(SBRK_SIZE);
	if (extra == (void *)-1)
		zdtm_fail("sbrk: %m");
	zdtm_fill(extra, SBRK_SIZE, 77);
	brk_before = kernel_brk();
	start_brk = zdtm_stat_field_ull(47);
	if (zdtm_find_map((void *)(brk_before - 1), &heap_before) || strcmp(heap_before.path, "[heap]"))
		zdtm_fail("no [heap] VMA below brk %lx", brk_before);
	zdtm_log("heap %lx-%lx, brk %lx", heap_before.start, heap_before.end, brk_before);
	zdtm_log("poke %p", chunks[1] + 3);
	mi_before = mallinfo2();

	zdtm_ready();
	zdtm_wait_for_term();

	mi_after = mallinfo2();
	brk_after = kernel_brk();
	zdtm_check(brk_after == brk_before, "kernel brk %lx, expected %lx", brk_after, brk_before);
	zdtm_check((unsigned long)sbrk(0) == brk_after, "sbrk(0) %p != kernel brk %lx", sbrk(0), brk_after);
	zdtm_check(zdtm_stat_field_ull(47) == start_brk, "start_brk %llu, expected %lu",
		   zdtm_stat_field_ull(47), start_brk);
	if (zdtm_check(zdtm_find_map((void *)(brk_before - 1), &heap_after) == 0, "no VMA below brk"))
		zdtm_check(heap_after.start == heap_before.start && heap_after.end == heap_before.end &&
			   !strcmp(heap_after.path, "[heap]") && !strcmp(heap_after.perms, "rw-p"),
			   "heap VMA %lx-%lx %s %s, expected %lx-%lx rw-p [heap]", heap_after.start,
			   heap_after.end, heap_after.perms, heap_after.path, heap_before.start,
			   heap_before.end);
	zdtm_check(!memcmp(&mi_after, &mi_before, sizeof(mi_after)),
		   "mallinfo2 changed: arena %zu/%zu, in use %zu/%zu, free %zu/%zu",
		   (size_t)mi_after.arena, (size_t)mi_before.arena, (size_t)mi_after.uordblks,
		   (size_t)mi_before.uordblks, (size_t)mi_after.fordblks, (size_t)mi_before.fordblks);
	for (i = 0; i < NCHUNK; i++) {
		if (!chunks[i])
			continue;
		bad = zdtm_verify(chunks[i], chunk_size(i), 9000 + i);
		zdtm_check(bad < 0, "chunk %d at %p differs at %zd", i, chunks[i], bad);
	}
	bad = zdtm_verify(extra, SBRK_SIZE, 77);
	zdtm_check(bad < 0, "sbrk area differs at %zd", bad);

	/* The heap still grows and shrinks at the same place. */
	if (zdtm_check(kernel_brk() == brk_before, "brk moved")) {
		unsigned long want = brk_before + 3 * psz;
		zdtm_check(syscall(SYS_brk, want) == (long)want, "brk cannot grow after restore");
		memset((void *)(want - 100), 0x5a, 100);
		zdtm_check(syscall(SYS_brk, brk_before) == (long)brk_before, "brk cannot shrink back");
	}
	for (i = 0; i < 100; i++)
		free(xmalloc(chunk_size(i)));
	zdtm_finish();
}
