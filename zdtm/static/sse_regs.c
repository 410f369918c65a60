/*
 * sse_regs: all sixteen xmm registers, live across the checkpoint.
 *
 * State: xmm0-xmm15 loaded with 256 bytes of seeded pattern; the process
 * sits in its own asm loop (spin, raw nanosleep syscall, check the SIGTERM
 * flag) that never touches them, so the values exist only in registers.
 * Check after SIGTERM: the registers, stored on leaving the loop, equal
 * the pattern recomputed from the seed.
 */
#include "zdtm.h"
#include <string.h>
#include <time.h>

#define SEED 0x55e

static uint8_t in[256] __attribute__((aligned(16)));
static uint8_t out[256] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	zdtm_init(argc, argv);
	zdtm_fill(in, sizeof(in), SEED);
	zdtm_ready();

	__asm__ volatile(
		"movdqa 0(%[i]), %%xmm0\n\t"    "movdqa 16(%[i]), %%xmm1\n\t"
		"movdqa 32(%[i]), %%xmm2\n\t"   "movdqa 48(%[i]), %%xmm3\n\t"
		"movdqa 64(%[i]), %%xmm4\n\t"   "movdqa 80(%[i]), %%xmm5\n\t"
		"movdqa 96(%[i]), %%xmm6\n\t"   "movdqa 112(%[i]), %%xmm7\n\t"
		"movdqa 128(%[i]), %%xmm8\n\t"  "movdqa 144(%[i]), %%xmm9\n\t"
		"movdqa 160(%[i]), %%xmm10\n\t" "movdqa 176(%[i]), %%xmm11\n\t"
		"movdqa 192(%[i]), %%xmm12\n\t" "movdqa 208(%[i]), %%xmm13\n\t"
		"movdqa 224(%[i]), %%xmm14\n\t" "movdqa 240(%[i]), %%xmm15\n"
		"1:\n\t"
		"mov $100000, %%ecx\n"
		"2:\n\t"
		"pause\n\t"
		"dec %%ecx\n\t"
		"jnz 2b\n\t"
		"cmpl $0, %[flag]\n\t"
		"jne 3f\n\t"
		"mov $35, %%eax\n\t"		/* nanosleep(&ts, NULL) */
		"mov %[ts], %%rdi\n\t"
		"xor %%esi, %%esi\n\t"
		"syscall\n\t"
		"jmp 1b\n"
		"3:\n\t"
		"movdqa %%xmm0, 0(%[o])\n\t"    "movdqa %%xmm1, 16(%[o])\n\t"
		"movdqa %%xmm2, 32(%[o])\n\t"   "movdqa %%xmm3, 48(%[o])\n\t"
		"movdqa %%xmm4, 64(%[o])\n\t"   "movdqa %%xmm5, 80(%[o])\n\t"
		"movdqa %%xmm6, 96(%[o])\n\t"   "movdqa %%xmm7, 112(%[o])\n\t"
		"movdqa %%xmm8, 128(%[o])\n\t"  "movdqa %%xmm9, 144(%[o])\n\t"
		"movdqa %%xmm10, 160(%[o])\n\t" "movdqa %%xmm11, 176(%[o])\n\t"
		"movdqa %%xmm12, 192(%[o])\n\t" "movdqa %%xmm13, 208(%[o])\n\t"
		"movdqa %%xmm14, 224(%[o])\n\t" "movdqa %%xmm15, 240(%[o])\n\t"
		:
		: [i] "r"(in), [o] "r"(out), [ts] "r"(&ts), [flag] "m"(zdtm_term_flag)
		: "rax", "rcx", "rdi", "rsi", "r11", "memory", "cc",
		  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
		  "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");

	for (i = 0; i < 16; i++) {
		ssize_t bad = zdtm_verify_at(out + 16 * i, 16, SEED, 16 * i);
		zdtm_check(bad < 0, "xmm%d differs at byte %zd", i, bad);
	}
	zdtm_finish();
}
