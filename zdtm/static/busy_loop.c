/*
 * busy_loop: a task computing in user space when checkpointed.
 *
 * State: a loop with no syscalls that steps a 64-bit LCG x' = a*x + c and
 * accumulates s' = s + x, counting the steps n, polling
 * zdtm_term_requested() every step; x, s and n live in registers.
 * Check after SIGTERM: the loop's (x, s) after n steps equals the value
 * computed independently by raising the 3x3 affine step matrix to the
 * n-th power (mod 2^64): a lost or corrupted register, or a step done
 * twice or skipped, is caught; n > 0.
 */
#include "zdtm.h"

#define A 6364136223846793005ULL
#define C 1442695040888963407ULL
#define X0 0x243f6a8885a308d3ULL

typedef uint64_t mat[3][3];

static void mul(mat r, mat a, mat b)
{
	mat t;
	int i, j, k;
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++) {
			t[i][j] = 0;
			for (k = 0; k < 3; k++)
				t[i][j] += a[i][k] * b[k][j];
		}
	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			r[i][j] = t[i][j];
}

/* (x, s) after n steps, by fast exponentiation of the step matrix on (x, s, 1). */
static void jump(uint64_t n, uint64_t *x, uint64_t *s)
{
	mat m = { { A, 0, C }, { 1, 1, 0 }, { 0, 0, 1 } };
	mat r = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
	for (; n; n >>= 1) {
		if (n & 1)
			mul(r, r, m);
		mul(m, m, m);
	}
	*x = r[0][0] * X0 + r[0][2];
	*s = r[1][0] * X0 + r[1][2];
}

int main(int argc, char **argv)
{
	uint64_t x = X0, s = 0, n = 0, wx, ws;

	zdtm_init(argc, argv);
	zdtm_ready();
	while (!zdtm_term_requested()) {
		s += x;
		x = A * x + C;
		n++;
	}
	jump(n, &wx, &ws);
	zdtm_log("%llu steps", (unsigned long long)n);
	zdtm_check(n > 0, "the loop never ran");
	zdtm_check(x == wx && s == ws, "after %llu steps: x %016llx s %016llx, expected %016llx %016llx",
		   (unsigned long long)n, (unsigned long long)x, (unsigned long long)s,
		   (unsigned long long)wx, (unsigned long long)ws);
	zdtm_finish();
}
