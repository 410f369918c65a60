/**
 * x86_64 general registers as PTRACE_GETREGSET(NT_PRSTATUS) returns them (struct user_regs_struct):
 * 27 unsigned 64-bit words, in the same order as CRIU's user_x86_regs_entry fields 1..27.
 */
export const GP_REG_NAMES = [
  'r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di',
  'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;
export type GpRegName = (typeof GP_REG_NAMES)[number];
export type GpRegs = Record<GpRegName, bigint>;

export const NT_PRSTATUS = 1;
export const NT_X86_XSTATE = 0x202;
export const GP_REGS_SIZE = GP_REG_NAMES.length * 8;
/** Large enough for every xsave layout the kernel exposes, AMX included. */
export const XSTATE_MAX_SIZE = 16384;

export function decodeGpRegs(buf: Buffer): GpRegs {
  const out = {} as GpRegs;
  GP_REG_NAMES.forEach((name, i) => {
    out[name] = buf.readBigUInt64LE(i * 8);
  });
  return out;
}

export function encodeGpRegs(regs: GpRegs): Buffer {
  const buf = Buffer.alloc(GP_REGS_SIZE);
  GP_REG_NAMES.forEach((name, i) => buf.writeBigUInt64LE(BigInt.asUintN(64, regs[name]), i * 8));
  return buf;
}

/** Signed view of a 64-bit register (syscall results are negative errnos). */
export function signed(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

/** The instruction pair of the injected-syscall gadget: `syscall; int3`, padded with int3. */
export const SYSCALL_GADGET = Buffer.from([0x0f, 0x05, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc]);
/** Length of the `syscall` instruction: rewinding the IP by this restarts a syscall. */
export const SYSCALL_INSN_LEN = 2n;
