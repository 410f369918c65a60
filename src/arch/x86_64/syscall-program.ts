/**
 * Several injected syscalls in one stop: a straight-line sequence of `mov`s into the syscall
 * registers, `syscall`, and a store of rax into a result slot, for each call, ending in `int3`.
 * No loop, no branch, nothing compiled: the same `syscall` amber's one-call gadget runs, with the
 * registers loaded by instructions instead of PTRACE_SETREGS, so that a batch of N calls costs
 * one ptrace round trip instead of N. Registers the kernel keeps across a syscall (all the
 * argument registers; it clobbers only rax, rcx and r11) are not loaded again when the next
 * call wants the same value.
 */

export interface ProgramCall { nr: number; args: readonly (number | bigint)[] }

/** rax, then the argument registers in syscall order: rdi, rsi, rdx, r10, r8, r9. */
const REGS = [0, 7, 6, 2, 10, 8, 9] as const;

/** `mov reg, imm`: 5-6 bytes for a value below 2^32 (zero-extended), 10 bytes otherwise. */
function movImm(reg: number, v: bigint): number[] {
  const low = reg & 7;
  const ext = reg >= 8;
  if (v < 0x100000000n) {
    const imm = Number(v);
    return [...(ext ? [0x41] : []), 0xb8 + low, imm & 0xff, (imm >>> 8) & 0xff, (imm >>> 16) & 0xff, (imm >>> 24) & 0xff];
  }
  const out = [ext ? 0x49 : 0x48, 0xb8 + low];
  for (let i = 0n; i < 64n; i += 8n) out.push(Number((v >> i) & 0xffn));
  return out;
}

/** `movabs [addr], rax` */
function storeRax(addr: bigint): number[] {
  const out = [0x48, 0xa3];
  for (let i = 0n; i < 64n; i += 8n) out.push(Number((addr >> i) & 0xffn));
  return out;
}

const SYSCALL = [0x0f, 0x05];
const INT3 = 0xcc;
/** The longest encoding of one call: seven 10-byte movs, syscall, the store. */
export const MAX_CALL_BYTES = 7 * 10 + 2 + 10;

/**
 * The machine code for `calls`, storing the result of call i at slots + 8*i, then int3.
 * Returns undefined if it would not fit in `maxBytes`.
 */
export function encodeSyscallProgram(calls: readonly ProgramCall[], slots: bigint, maxBytes: number): Buffer | undefined {
  const code: number[] = [];
  // What each argument register holds, as far as the program has set it (rax never survives).
  const known = new Map<number, bigint>();
  calls.forEach((c, i) => {
    const values = [BigInt(c.nr), ...Array.from({ length: 6 }, (_, k) => BigInt.asUintN(64, BigInt(c.args[k] ?? 0)))];
    values.forEach((v, k) => {
      const reg = REGS[k];
      if (k > 0 && known.get(reg) === v) return;
      code.push(...movImm(reg, v));
      if (k > 0) known.set(reg, v);
    });
    code.push(...SYSCALL, ...storeRax(slots + BigInt(8 * i)));
  });
  code.push(INT3);
  return code.length <= maxBytes ? Buffer.from(code) : undefined;
}
