/*
 * avx_regs: all sixteen ymm registers (256 bits), live across the
 * checkpoint.
 *
 * State: ymm0-ymm15 loaded with 512 bytes of seeded pattern; the process
 * sits in its own asm loop (spin, raw nanosleep syscall, check the SIGTERM
 * flag) that never touches them.
 * Check after SIGTERM: the registers, stored on leaving the loop, equal
 * the pattern recomputed from the seed, upper halves included.
 * On a CPU without AVX2 the same is done for xmm0-xmm15 (the SSE part);
 * this file is built with -mavx2, so every function that runs before the
 * CPU check is compiled with AVX disabled.
 */
#include "zdtm.h"
#include <string.h>
#include <time.h>

#define NO_AVX __attribute__((target("no-avx")))
#define SEED 0xa7c

static uint8_t in[512] __attribute__((aligned(32)));
static uint8_t out[512] __attribute__((aligned(32)));

#define WAIT_LOOP \
	"1:\n\t" \
	"mov $100000, %%ecx\n" \
	"2:\n\t" \
	"pause\n\t" \
	"dec %%ecx\n\t" \
	"jnz 2b\n\t" \
	"cmpl $0, %[flag]\n\t" \
	"jne 3f\n\t" \
	"mov $35, %%eax\n\t" /* nanosleep(&ts, NULL) */ \
	"mov %[ts], %%rdi\n\t" \
	"xor %%esi, %%esi\n\t" \
	"syscall\n\t" \
	"jmp 1b\n" \
	"3:\n\t"

#define VREGS(p) \
	p "0", p "1", p "2", p "3", p "4", p "5", p "6", p "7", \
	p "8", p "9", p "10", p "11", p "12", p "13", p "14", p "15"

static void ymm_wait(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	__asm__ volatile(
		"vmovdqa 0(%[i]), %%ymm0\n\t"    "vmovdqa 32(%[i]), %%ymm1\n\t"
		"vmovdqa 64(%[i]), %%ymm2\n\t"   "vmovdqa 96(%[i]), %%ymm3\n\t"
		"vmovdqa 128(%[i]), %%ymm4\n\t"  "vmovdqa 160(%[i]), %%ymm5\n\t"
		"vmovdqa 192(%[i]), %%ymm6\n\t"  "vmovdqa 224(%[i]), %%ymm7\n\t"
		"vmovdqa 256(%[i]), %%ymm8\n\t"  "vmovdqa 288(%[i]), %%ymm9\n\t"
		"vmovdqa 320(%[i]), %%ymm10\n\t" "vmovdqa 352(%[i]), %%ymm11\n\t"
		"vmovdqa 384(%[i]), %%ymm12\n\t" "vmovdqa 416(%[i]), %%ymm13\n\t"
		"vmovdqa 448(%[i]), %%ymm14\n\t" "vmovdqa 480(%[i]), %%ymm15\n\t"
		WAIT_LOOP
		"vmovdqa %%ymm0, 0(%[o])\n\t"    "vmovdqa %%ymm1, 32(%[o])\n\t"
		"vmovdqa %%ymm2, 64(%[o])\n\t"   "vmovdqa %%ymm3, 96(%[o])\n\t"
		"vmovdqa %%ymm4, 128(%[o])\n\t"  "vmovdqa %%ymm5, 160(%[o])\n\t"
		"vmovdqa %%ymm6, 192(%[o])\n\t"  "vmovdqa %%ymm7, 224(%[o])\n\t"
		"vmovdqa %%ymm8, 256(%[o])\n\t"  "vmovdqa %%ymm9, 288(%[o])\n\t"
		"vmovdqa %%ymm10, 320(%[o])\n\t" "vmovdqa %%ymm11, 352(%[o])\n\t"
		"vmovdqa %%ymm12, 384(%[o])\n\t" "vmovdqa %%ymm13, 416(%[o])\n\t"
		"vmovdqa %%ymm14, 448(%[o])\n\t" "vmovdqa %%ymm15, 480(%[o])\n\t"
		"vzeroupper\n\t"
		:
		: [i] "r"(in), [o] "r"(out), [ts] "r"(&ts), [flag] "m"(zdtm_term_flag)
		: "rax", "rcx", "rdi", "rsi", "r11", "memory", "cc", VREGS("xmm"));
}

NO_AVX static void xmm_wait(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	__asm__ volatile(
		"movdqa 0(%[i]), %%xmm0\n\t"    "movdqa 16(%[i]), %%xmm1\n\t"
		"movdqa 32(%[i]), %%xmm2\n\t"   "movdqa 48(%[i]), %%xmm3\n\t"
		"movdqa 64(%[i]), %%xmm4\n\t"   "movdqa 80(%[i]), %%xmm5\n\t"
		"movdqa 96(%[i]), %%xmm6\n\t"   "movdqa 112(%[i]), %%xmm7\n\t"
		"movdqa 128(%[i]), %%xmm8\n\t"  "movdqa 144(%[i]), %%xmm9\n\t"
		"movdqa 160(%[i]), %%xmm10\n\t" "movdqa 176(%[i]), %%xmm11\n\t"
		"movdqa 192(%[i]), %%xmm12\n\t" "movdqa 208(%[i]), %%xmm13\n\t"
		"movdqa 224(%[i]), %%xmm14\n\t" "movdqa 240(%[i]), %%xmm15\n\t"
		WAIT_LOOP
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
		: "rax", "rcx", "rdi", "rsi", "r11", "memory", "cc", VREGS("xmm"));
}

NO_AVX int main(int argc, char **argv)
{
	int avx, width, i;

	zdtm_init(argc, argv);
	/* --sse-only=1 forces the SSE part, to test it on AVX2 machines. */
	avx = __builtin_cpu_supports("avx2") && !zdtm_opt("sse-only");
	width = avx ? 32 : 16;
	zdtm_log(avx ? "AVX2: checking ymm0-15" : "no AVX2: checking xmm0-15 only (SSE part)");
	zdtm_fill(in, 16 * width, SEED);
	zdtm_ready();
	if (avx)
		ymm_wait();
	else
		xmm_wait();
	for (i = 0; i < 16; i++) {
		ssize_t bad = zdtm_verify_at(out + width * i, width, SEED, width * i);
		zdtm_check(bad < 0, "%cmm%d differs at byte %zd", avx ? 'y' : 'x', i, bad);
	}
	zdtm_finish();
}
