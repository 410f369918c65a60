/*
 * fpu_x87: the x87 register stack, live in registers across the checkpoint.
 *
 * State: all eight x87 registers loaded (fldt) with long doubles that need
 * the full 64-bit mantissa or the extended exponent range (1e4000, a
 * denormal, -0.0, ...), so TOP, the tag word and the registers are all
 * non-trivial. The process then sits in its own asm loop (spin, then a
 * raw nanosleep syscall, check the SIGTERM flag) that never touches the
 * x87 state; an FXSAVE image is taken on entry.
 * Check after SIGTERM: a second FXSAVE taken on leaving the loop has the
 * same control, status and tag words, MXCSR and registers; popping the
 * stack gives back exactly the 10 bytes of each value.
 */
#include "zdtm.h"
#include <string.h>
#include <time.h>

struct fxsave {
	uint16_t fcw, fsw;
	uint8_t ftw, pad1;
	uint16_t fop;
	uint64_t fip, fdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16];
	uint8_t rest[512 - 160];
} __attribute__((aligned(16)));

static const long double vals[8] = {
	3.14159265358979323846264338327950288L, -2.71828182845904523536028747135266250L,
	1.0L / 3.0L, 1e4000L, -1e-4000L, 0x1p-16440L, -0.0L, 12345678901234567890.0L,
};
static long double out[8];
static struct fxsave fx_in, fx_out;

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	zdtm_init(argc, argv);
	zdtm_ready();

	__asm__ volatile(
		"fldt 112(%[v])\n\t" "fldt 96(%[v])\n\t" "fldt 80(%[v])\n\t" "fldt 64(%[v])\n\t"
		"fldt 48(%[v])\n\t" "fldt 32(%[v])\n\t" "fldt 16(%[v])\n\t" "fldt 0(%[v])\n\t"
		"fxsave (%[fin])\n"
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
		"fxsave (%[fout])\n\t"
		"fstpt 0(%[o])\n\t" "fstpt 16(%[o])\n\t" "fstpt 32(%[o])\n\t" "fstpt 48(%[o])\n\t"
		"fstpt 64(%[o])\n\t" "fstpt 80(%[o])\n\t" "fstpt 96(%[o])\n\t" "fstpt 112(%[o])\n\t"
		:
		: [v] "r"(vals), [o] "r"(out), [fin] "r"(&fx_in), [fout] "r"(&fx_out),
		  [ts] "r"(&ts), [flag] "m"(zdtm_term_flag)
		: "rax", "rcx", "rdi", "rsi", "r11", "memory", "cc",
		  "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");

	zdtm_check(fx_out.fcw == fx_in.fcw, "FCW %#x, expected %#x", fx_out.fcw, fx_in.fcw);
	zdtm_check(fx_out.fsw == fx_in.fsw, "FSW %#x, expected %#x", fx_out.fsw, fx_in.fsw);
	zdtm_check(fx_out.ftw == fx_in.ftw && fx_in.ftw == 0xff, "FTW %#x, expected %#x (all valid)",
		   fx_out.ftw, fx_in.ftw);
	zdtm_check(fx_out.mxcsr == fx_in.mxcsr, "MXCSR %#x, expected %#x", fx_out.mxcsr, fx_in.mxcsr);
	for (i = 0; i < 8; i++) {
		zdtm_check(!memcmp(fx_in.st[i], &vals[i], 10), "st(%d) was not loaded right", i);
		zdtm_check(!memcmp(fx_out.st[i], fx_in.st[i], 10), "st(%d) in FXSAVE changed", i);
		zdtm_check(!memcmp(&out[i], &vals[i], 10), "st(%d) = %La, expected %La", i,
			   out[i], vals[i]);
	}
	zdtm_finish();
}
