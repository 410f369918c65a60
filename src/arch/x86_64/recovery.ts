/**
 * What an infected task runs if amber dies (SIGKILL) at any moment of an infection: code that
 * puts the task back as it was when it was seized, removes the scratch area and carries on.
 *
 * It lives outside the scratch area, in the unused tail of the task's vDSO (after its section
 * headers, zeros up to the end of its last page; written through /proc/PID/mem, which makes
 * that page the process's own copy, and zeroed again by cure), so that it can unmap the scratch
 * area and still run, and so that it exists before the scratch area does:
 * - bootstrap: amber runs the mmap that creates the scratch area from here. Left alone after
 *   it, the task unmaps what it got and resumes.
 * - cure: amber runs the SIGTRAP restore and the munmap of the scratch area from here; left
 *   alone, the task finishes both and resumes.
 * - in between, a task left alone in the trap after an injected syscall goes on after the
 *   `int3` into an absolute jump here (fromTrap); one left alone while it runs an injected
 *   syscall, or parked, raises a real SIGTRAP at the `int3`, whose handler during infection is
 *   this code (handler: a traced task never runs it). The handler first reloads the FPU state
 *   the kernel saved in the signal frame (delivery reset it for the handler); the trap path
 *   never lost it, since injected syscalls leave it alone.
 * Each thread finds its table by gettid (the tid in each table; its registers as seized with syscall restart applied,
 * flags, signal mask), restores its mask, drops an rseq registration amber's questions may have
 * left (task/rseq.ts); the last thread out (a count in the scratch area,
 * kept by amber at least as high as the threads it changed) restores the task's own SIGTRAP
 * action and unmaps the scratch area; then the registers, and a jump to the thread's IP.
 */
import { GpRegs } from './regs';

export interface RecoveryThread {
  tid: number;
  /** The registers to resume with: as seized, syscall restart applied. */
  regs: GpRegs;
  /** The signal mask as seized. */
  sigmask: bigint;
}

/** Where the pieces are: the escape area (vDSO tail) and what it uses in the scratch area. */
export interface EscapeLayout {
  /** Start of the escape area: code, then one table per thread. */
  base: bigint;
  scratch: bigint;
  scratchSize: number;
  /** A u32 in the scratch area: threads that still have to come out. */
  liveCount: bigint;
  /** The task's own SIGTRAP action (a kernel sigaction) in the scratch area; a handler of ~0: none saved yet. */
  savedTrapAction: bigint;
  /** The scratch area's rseq question area: each thread out unregisters it (EINVAL if not its own). */
  rseqProbe: bigint;
}

/** Room for the code; the thread tables follow it. */
export const ESCAPE_CODE_SIZE = 640;
export const ESCAPE_TABLE_SIZE = 176;

/** Entry points, offsets from the escape area's start (the same for any threads: the dispatch comes last). */
export interface EscapeEntries { bootstrap: bigint; cure: bigint; handler: bigint; fromTrap: bigint }

const SYS_munmap = 11, SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14, SYS_gettid = 186, SYS_rseq = 334;
const RSEQ_LEN = 32, RSEQ_FLAG_UNREGISTER = 1, RSEQ_SIG = 0x53053053;
const SIGTRAP = 5, SIG_SETMASK = 2;

/** Register numbers of the x86_64 encoding. */
const R = { ax: 0, cx: 1, dx: 2, bx: 3, sp: 4, bp: 5, si: 6, di: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15 } as const;

/** A thread table: what the registers are loaded from, in this order, then the mask and the tail. */
const TABLE_REGS = ['r15', 'r14', 'r13', 'r12', 'r11', 'r10', 'r9', 'r8', 'bp', 'dx', 'si', 'di', 'cx', 'ax'] as const;
const T_SP = 8 * TABLE_REGS.length, T_FLAGS = T_SP + 8, T_MASK = T_FLAGS + 8, T_TAIL_ADDR = T_MASK + 8, T_TAIL = T_TAIL_ADDR + 8;
/** The thread's id (u32) after its 24-byte tail: the dispatch compares gettid with it; 0 is no thread. */
const T_TID = T_TAIL + 24;

/** Offsets in a signal frame's ucontext (x86_64): uc_mcontext at 40, its fpstate pointer 184 in. */
const UC_FPSTATE = 40 + 184;
/** The xsave area's software bytes start at 464: magic1 says the frame holds XSAVE (not FXSAVE) state. */
const FP_SW_MAGIC_AT = 464, FP_XSTATE_MAGIC1 = 0x46505853;

function imm64(v: bigint): number[] {
  const out: number[] = [];
  for (let i = 0n; i < 64n; i += 8n) out.push(Number((BigInt.asUintN(64, v) >> i) & 0xffn));
  return out;
}

function imm32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/** movabs reg, imm64 */
function movabs(reg: number, v: bigint): number[] {
  return [reg >= 8 ? 0x49 : 0x48, 0xb8 + (reg & 7), ...imm64(v)];
}

/** mov reg32, imm32 (zero-extends) */
function mov32(reg: number, v: number): number[] {
  return [...(reg >= 8 ? [0x41] : []), 0xb8 + (reg & 7), ...imm32(v)];
}

/** mov reg, [rbx + disp32] */
function loadFromRbx(reg: number, disp: number): number[] {
  return [0x48 | (reg >= 8 ? 0x04 : 0), 0x8b, 0x80 | ((reg & 7) << 3) | R.bx, ...imm32(disp)];
}

const SYSCALL = [0x0f, 0x05];
/** lea rsp, [rsp-512]; and rsp, -16: below the thread's red zone (and any signal frame), aligned. */
const OWN_STACK = [0x48, 0x8d, 0xa4, 0x24, ...imm32(-512 >>> 0), 0x48, 0x83, 0xe4, 0xf0];

/** A small assembler with forward labels (rel8 or rel32 jumps). */
class Asm {
  readonly b: number[] = [];
  private readonly fix: { at: number; label: string; size: 1 | 4 }[] = [];
  private readonly labels = new Map<string, number>();
  offsetOf(name: string): bigint {
    const at = this.labels.get(name);
    if (at === undefined) throw new Error(`escape code: no label ${name}`);
    return BigInt(at);
  }
  emit(...bytes: number[]): this { this.b.push(...bytes); return this; }
  label(name: string): this { this.labels.set(name, this.b.length); return this; }
  /** jmp/jcc to a label: opcode bytes given, the displacement filled at the end. */
  jump(opcode: number[], label: string, size: 1 | 4): this {
    this.b.push(...opcode);
    this.fix.push({ at: this.b.length, label, size });
    this.b.push(...new Array<number>(size).fill(0));
    return this;
  }
  done(): Buffer {
    for (const f of this.fix) {
      const to = this.labels.get(f.label);
      if (to === undefined) throw new Error(`escape code: no label ${f.label}`);
      const rel = to - (f.at + f.size);
      if (f.size === 1) {
        if (rel < -128 || rel > 127) throw new Error(`escape code: ${f.label} out of rel8 range`);
        this.b[f.at] = rel & 0xff;
      } else {
        imm32(rel >>> 0).forEach((x, i) => { this.b[f.at + i] = x; });
      }
    }
    return Buffer.from(this.b);
  }
}

/**
 * The escape code for an escape area at `l.base` whose thread tables are at `tables`: it finds
 * a thread's table by the tid written in it (threadTable), so it does not change as threads
 * come and go. `main` is the table the bootstrap and cure paths use (the infected main thread's).
 */
export function escapeCode(l: EscapeLayout, main: bigint, tables: readonly bigint[]): { code: Buffer; entries: EscapeEntries } {
  const a = new Asm();
  // bootstrap: amber's mmap; left alone, unmap what it returned (a failed mmap's -errno makes
  // munmap fail, harmless) and come back.
  a.label('bootstrap').emit(...SYSCALL);
  a.emit(0x48, 0x89, 0xc7 /* mov rdi, rax */, ...mov32(R.si, l.scratchSize), ...mov32(R.ax, SYS_munmap), ...SYSCALL);
  a.emit(...OWN_STACK, ...movabs(R.bx, main)).jump([0xe9], 'uncounted', 4);
  // cure: amber's rt_sigaction(SIGTRAP, saved); left alone, the munmap and back.
  a.label('cure').emit(...SYSCALL);
  a.emit(...mov32(R.ax, SYS_munmap), ...movabs(R.di, l.scratch), ...mov32(R.si, l.scratchSize), ...SYSCALL);
  a.emit(...OWN_STACK, ...movabs(R.bx, main)).jump([0xe9], 'uncounted', 4);
  // handler(sig, info, uc): the FPU state from the frame (XSAVE or FXSAVE format), then as fromTrap.
  a.label('handler').emit(0x48, 0x8b, 0x8a, ...imm32(UC_FPSTATE) /* mov rcx, [rdx+fpstate] */, 0x48, 0x85, 0xc9 /* test rcx, rcx */);
  a.jump([0x74], 'fromTrap', 1);
  a.emit(0x81, 0xb9, ...imm32(FP_SW_MAGIC_AT), ...imm32(FP_XSTATE_MAGIC1) /* cmp dword [rcx+464], magic1 */);
  a.jump([0x75], 'fxrstor', 1);
  a.emit(...mov32(R.ax, 0xffffffff), ...mov32(R.dx, 0xffffffff), 0x48, 0x0f, 0xae, 0x29 /* xrstor64 [rcx] */);
  a.jump([0xeb], 'fromTrap', 1);
  a.label('fxrstor').emit(0x48, 0x0f, 0xae, 0x09 /* fxrstor64 [rcx] */);
  // fromTrap: which thread am I?
  a.label('fromTrap').emit(...OWN_STACK, ...mov32(R.ax, SYS_gettid), ...SYSCALL).jump([0xe9], 'dispatch', 4);
  // counted: mask; the last one out restores SIGTRAP's action and unmaps the scratch area.
  a.label('counted').emit(0x48, 0x8d, 0xb3, ...imm32(T_MASK) /* lea rsi, [rbx+mask] */, ...mov32(R.di, SIG_SETMASK), 0x31, 0xd2, ...mov32(R.r10, 8), ...mov32(R.ax, SYS_rt_sigprocmask), ...SYSCALL);
  // A thread asked about its rseq registration (kernels before 5.13) may hold amber's area: undo
  // it before the area goes (anyone else's answers EINVAL).
  a.emit(...movabs(R.di, l.rseqProbe), ...mov32(R.si, RSEQ_LEN), ...mov32(R.dx, RSEQ_FLAG_UNREGISTER), ...mov32(R.r10, RSEQ_SIG), ...mov32(R.ax, SYS_rseq), ...SYSCALL);
  a.emit(...movabs(R.ax, l.liveCount), 0xf0, 0xff, 0x08 /* lock dec dword [rax] */).jump([0x75], 'regs', 1);
  // The saved action's handler word is all ones until amber's rt_sigaction has saved the task's.
  a.emit(...movabs(R.si, l.savedTrapAction), 0x48, 0x83, 0x3e, 0xff /* cmp qword [rsi], -1 */).jump([0x74], 'unmap', 1);
  a.emit(...mov32(R.ax, SYS_rt_sigaction), ...mov32(R.di, SIGTRAP), 0x31, 0xd2, ...mov32(R.r10, 8), ...SYSCALL);
  a.label('unmap').emit(...mov32(R.ax, SYS_munmap), ...movabs(R.di, l.scratch), ...mov32(R.si, l.scratchSize), ...SYSCALL);
  a.jump([0xeb], 'regs', 1);
  // uncounted (bootstrap, cure: the only thread amber changed): mask, then registers.
  a.label('uncounted').emit(0x48, 0x8d, 0xb3, ...imm32(T_MASK), ...mov32(R.di, SIG_SETMASK), 0x31, 0xd2, ...mov32(R.r10, 8), ...mov32(R.ax, SYS_rt_sigprocmask), ...SYSCALL);
  // regs: flags, every register but rbx and rsp, then rsp, then the tail (rbx, jump to the IP).
  a.label('regs').emit(0xff, 0xb3, ...imm32(T_FLAGS) /* push [rbx+flags] */, 0x9d /* popfq */);
  TABLE_REGS.forEach((name, i) => a.emit(...loadFromRbx(R[name], 8 * i)));
  a.emit(...loadFromRbx(R.sp, T_SP), 0xff, 0xa3, ...imm32(T_TAIL_ADDR) /* jmp [rbx+tail] */);
  // dispatch: movabs rbx, table; cmp eax, [rbx+tid]; je counted; for each table. None matched: ud2.
  a.label('dispatch');
  for (const table of tables) {
    a.emit(...movabs(R.bx, table), 0x3b, 0x83, ...imm32(T_TID) /* cmp eax, [rbx+tid] */).jump([0x0f, 0x84], 'counted', 4);
  }
  a.emit(0x0f, 0x0b);
  const code = a.done();
  if (code.length > ESCAPE_CODE_SIZE) throw new Error(`escape code of ${code.length} bytes for ${tables.length} thread tables`);
  const entries = { bootstrap: a.offsetOf('bootstrap'), cure: a.offsetOf('cure'), handler: a.offsetOf('handler'), fromTrap: a.offsetOf('fromTrap') };
  return { code, entries };
}

/** A thread's table at `at`: registers, flags, mask, then its tail (movabs rbx; jmp [rip+0]; ip). */
export function threadTable(at: bigint, t: RecoveryThread): Buffer {
  const b = Buffer.alloc(ESCAPE_TABLE_SIZE);
  TABLE_REGS.forEach((name, i) => b.writeBigUInt64LE(BigInt.asUintN(64, t.regs[name]), 8 * i));
  b.writeBigUInt64LE(BigInt.asUintN(64, t.regs.sp), T_SP);
  b.writeBigUInt64LE(BigInt.asUintN(64, t.regs.flags), T_FLAGS);
  b.writeBigUInt64LE(BigInt.asUintN(64, t.sigmask), T_MASK);
  b.writeBigUInt64LE(at + BigInt(T_TAIL), T_TAIL_ADDR);
  Buffer.from([...movabs(R.bx, t.regs.bx), 0xff, 0x25, 0, 0, 0, 0, ...imm64(t.regs.ip)]).copy(b, T_TAIL);
  b.writeUInt32LE(t.tid, T_TID);
  return b;
}

/** Where a table's tid is: writing 0 there takes the thread out of the dispatch. */
export const THREAD_TABLE_TID = T_TID;

/** `jmp [rip+0]; .quad to`: an absolute jump (14 bytes), from anywhere to anywhere. */
export function absoluteJump(to: bigint): Buffer {
  return Buffer.from([0xff, 0x25, 0, 0, 0, 0, ...imm64(to)]);
}

/** `jmp rel32` from `from` (the address of the jmp) to `to`. */
export function jumpTo(from: bigint, to: bigint): Buffer {
  const rel = Number(to - (from + 5n));
  return Buffer.from([0xe9, ...imm32(rel >>> 0)]);
}
