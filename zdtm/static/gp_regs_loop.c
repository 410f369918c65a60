/*
 * gp_regs_loop: general-purpose registers and flags in a pure busy loop.
 *
 * State: an asm loop (no syscalls, no calls) holding known 64-bit values
 * in rbx, rbp, rdx, rsi, rdi and r8-r15, with the direction flag set, and
 * an iteration counter kept both in rcx and in memory. Every iteration
 * checks each register against its constant, checks DF, and checks that
 * rcx equals the memory counter; it leaves on the first mismatch or when
 * the SIGTERM flag is set. The FS base (TLS) and GS base are recorded.
 * Check after SIGTERM: the loop left because of SIGTERM, not a mismatch
 * (the log names the register that broke); it ran; FS/GS bases, the TCB
 * self pointer at %fs:0 and pthread_self() are unchanged.
 */
#include "zdtm.h"
#include <asm/prctl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *names[] = {
	"none", "rbx", "rbp", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
	"r12", "r13", "r14", "r15", "DF", "rcx/counter",
};
static uint64_t iters, which;

#define SET(reg, val) "movabs $" val ", %%" reg "\n\t"
#define CHK(reg, val, k) \
	"movq $" #k ", %[which]\n\t" "movabs $" val ", %%rax\n\t" "cmp %%rax, %%" reg "\n\t" "jne 8f\n\t"

int main(int argc, char **argv)
{
	unsigned long fs_before, fs_after, gs_before, gs_after, tcb;
	pthread_t self = pthread_self();

	zdtm_init(argc, argv);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_before);
	zdtm_ready();

	__asm__ volatile(
		"sub $128, %%rsp\n\t"		/* keep clear of the red zone */
		"push %%rbp\n\t"
		SET("rbx", "0x0123456789abcdef") SET("rbp", "0xfedcba9876543210")
		SET("rdx", "0x1111222233334444") SET("rsi", "0x5555666677778888")
		SET("rdi", "0x99990000aaaabbbb") SET("r8", "0x8000000000000008")
		SET("r9", "0x0909090909090909") SET("r10", "0xa0a0a0a0a0a0a0a0")
		SET("r11", "0x1b1b1b1b1b1b1b1b") SET("r12", "0xc0ffee00c0ffee00")
		SET("r13", "0xdeadbeefdeadbeef") SET("r14", "0x7fffffffffffffff")
		SET("r15", "0x0000000100000001")
		"xor %%ecx, %%ecx\n\t"
		"movq $0, %[iters]\n\t"
		"std\n"
		"1:\n\t"
		CHK("rbx", "0x0123456789abcdef", 1) CHK("rbp", "0xfedcba9876543210", 2)
		CHK("rdx", "0x1111222233334444", 3) CHK("rsi", "0x5555666677778888", 4)
		CHK("rdi", "0x99990000aaaabbbb", 5) CHK("r8", "0x8000000000000008", 6)
		CHK("r9", "0x0909090909090909", 7) CHK("r10", "0xa0a0a0a0a0a0a0a0", 8)
		CHK("r11", "0x1b1b1b1b1b1b1b1b", 9) CHK("r12", "0xc0ffee00c0ffee00", 10)
		CHK("r13", "0xdeadbeefdeadbeef", 11) CHK("r14", "0x7fffffffffffffff", 12)
		CHK("r15", "0x0000000100000001", 13)
		"movq $14, %[which]\n\t"
		"pushf\n\t"
		"pop %%rax\n\t"
		"bt $10, %%rax\n\t"
		"jnc 8f\n\t"
		"movq $15, %[which]\n\t"
		"inc %%rcx\n\t"
		"incq %[iters]\n\t"
		"cmp %[iters], %%rcx\n\t"
		"jne 8f\n\t"
		"cmpl $0, %[flag]\n\t"
		"je 1b\n\t"
		"movq $0, %[which]\n"
		"8:\n\t"
		"cld\n\t"
		"pop %%rbp\n\t"
		"add $128, %%rsp\n\t"
		: [iters] "+m"(iters), [which] "+m"(which)
		: [flag] "m"(zdtm_term_flag)
		: "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		  "r12", "r13", "r14", "r15", "memory", "cc");

	zdtm_log("%llu iterations", (unsigned long long)iters);
	if (which)	/* broken early: still follow the protocol, report at SIGTERM */
		zdtm_wait_for_term();
	zdtm_check(which == 0, "loop broke: %s lost its value (after %llu iterations)",
		   which < 16 ? names[which] : "?", (unsigned long long)iters);
	zdtm_check(iters > 0, "the loop never ran");
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_after);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(tcb));
	zdtm_check(fs_after == fs_before, "FS base %#lx, expected %#lx", fs_after, fs_before);
	zdtm_check(gs_after == gs_before, "GS base %#lx, expected %#lx", gs_after, gs_before);
	zdtm_check(tcb == fs_before, "%%fs:0 = %#lx, expected %#lx", tcb, fs_before);
	zdtm_check(pthread_equal(pthread_self(), self), "pthread_self() changed");
	zdtm_finish();
}
