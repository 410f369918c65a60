/*
 * mxcsr_rounding: non-default floating-point control state.
 *
 * State: MXCSR = round down, flush-to-zero and denormals-are-zero on,
 * divide-by-zero exceptions unmasked (0xbdc0); x87 control word = 53-bit
 * precision, round toward zero, divide-by-zero unmasked (0x0e7b).
 * Check after SIGTERM: stmxcsr/fnstcw read the same values (compared with
 * the constants and with what was read back before the checkpoint), and
 * arithmetic obeys them, against results worked out by hand:
 * 2f/3f with divss is 0x3f2aaaaa (round to nearest would give ...ab);
 * 1e-30f*1e-10f is flushed to +0 (FTZ); a denormal input times 2^100 is
 * +0 (DAZ); x87 2.0/3.0 equals the double 0x3fe5555555555555 exactly
 * (53-bit truncation; the default would keep 64 bits).
 */
#include "zdtm.h"
#include <string.h>

#define MXCSR_SET 0xbdc0u
#define FCW_SET 0x0e7bu

static uint32_t f2u(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

static float u2f(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	return f;
}

static uint32_t get_mxcsr(void)
{
	uint32_t v;
	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static uint16_t get_fcw(void)
{
	uint16_t v;
	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static float sse_div(float a, float b)
{
	__asm__ volatile("divss %1, %0" : "+x"(a) : "x"(b));
	return a;
}

static float sse_mul(float a, float b)
{
	__asm__ volatile("mulss %1, %0" : "+x"(a) : "x"(b));
	return a;
}

int main(int argc, char **argv)
{
	uint32_t mxcsr = MXCSR_SET, mxcsr_before, mxcsr_after;
	uint16_t fcw = FCW_SET, fcw_before, fcw_after;
	double two = 2.0, three = 3.0, want_d;
	uint64_t want_bits = 0x3fe5555555555555ULL;
	long double res = 0, want;
	uint32_t r;

	zdtm_init(argc, argv);
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(fcw));
	mxcsr_before = get_mxcsr();
	fcw_before = get_fcw();
	if (mxcsr_before != MXCSR_SET || fcw_before != FCW_SET)
		zdtm_fail("could not set MXCSR %#x / FCW %#x", mxcsr_before, fcw_before);

	zdtm_ready();
	zdtm_wait_for_term();

	mxcsr_after = get_mxcsr();
	fcw_after = get_fcw();
	zdtm_check(mxcsr_after == mxcsr_before, "MXCSR %#x, expected %#x", mxcsr_after, mxcsr_before);
	zdtm_check(fcw_after == fcw_before, "x87 control word %#x, expected %#x", fcw_after, fcw_before);

	r = f2u(sse_div(2.0f, 3.0f));
	zdtm_check(r == 0x3f2aaaaa, "divss 2/3 = %#x, expected 0x3f2aaaaa (round down)", r);
	r = f2u(sse_mul(1e-30f, 1e-10f));
	zdtm_check(r == 0, "mulss 1e-30*1e-10 = %#x, expected 0 (flush to zero)", r);
	r = f2u(sse_mul(u2f(0x00000100), u2f(0x71800000)));
	zdtm_check(r == 0, "mulss denormal*2^100 = %#x, expected 0 (denormals are zero)", r);

	__asm__ volatile("fldl %1\n\tfdivl %2\n\tfstpt %0" : "=m"(res) : "m"(two), "m"(three) : "st");
	memcpy(&want_d, &want_bits, 8);
	want = want_d;
	zdtm_check(!memcmp(&res, &want, 10), "x87 2/3 = %La, expected %La (53 bits, toward zero)",
		   res, want);
	zdtm_finish();
}
