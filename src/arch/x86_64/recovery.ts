/**
 * What an infected task runs if amber dies (SIGKILL) while it injects syscalls into it: code in
 * the scratch area that puts the task back as it was when it was seized and carries on there.
 *
 * The task reaches it two ways. If the tracer dies while the task waits in the trap after an
 * injected syscall, the kernel drops that SIGTRAP and the task goes on after the `int3`, where
 * the gadget (and every batch program) jumps here. If the tracer dies while the task runs an
 * injected syscall, or between amber setting its registers and resuming it, the `int3` then
 * raises a real SIGTRAP: during infection the task's SIGTRAP handler is this code (a traced task
 * never runs it: the tracer takes the signal first). Either way it restores the task's SIGTRAP
 * action, finds its thread by gettid, restores that thread's signal mask, flags and general
 * registers (the syscall the task was in set up to restart, as cure does) and jumps to its IP.
 * The FPU state is never touched by injected syscalls, so it is still the task's own. What stays
 * behind is the scratch mapping itself (the code would unmap itself).
 */
import { GpRegs } from './regs';

export interface RecoveryThread {
  tid: number;
  /** The registers to resume with: as seized, syscall restart applied. */
  regs: GpRegs;
  /** The signal mask as seized. */
  sigmask: bigint;
}

const SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14, SYS_gettid = 186;
const SIGTRAP = 5, SIG_SETMASK = 2;

/** Register numbers of the x86_64 encoding. */
const R = { ax: 0, cx: 1, dx: 2, bx: 3, sp: 4, bp: 5, si: 6, di: 7, r8: 8, r9: 9, r10: 10, r11: 11, r12: 12, r13: 13, r14: 14, r15: 15 } as const;

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

const SYSCALL = [0x0f, 0x05];

/** The recovery code (position-independent); `stackTop` and `savedTrapAction` are in the scratch area's writable part. */
export function encodeRecovery(threads: readonly RecoveryThread[], stackTop: bigint, savedTrapAction: bigint): Buffer {
  const head: number[] = [
    ...movabs(R.sp, stackTop),
    // rt_sigaction(SIGTRAP, &saved, NULL, 8): the task's own action back.
    ...mov32(R.ax, SYS_rt_sigaction), ...mov32(R.di, SIGTRAP), ...movabs(R.si, savedTrapAction), ...mov32(R.dx, 0), ...mov32(R.r10, 8), ...SYSCALL,
    ...mov32(R.ax, SYS_gettid), ...SYSCALL,
  ];
  const bodies = threads.map((t) => {
    const g = t.regs;
    return [
      // The mask, pushed on the scratch stack, then rt_sigprocmask(SIG_SETMASK, sp, NULL, 8).
      ...movabs(R.ax, t.sigmask), 0x50, 0x48, 0x89, 0xe6 /* mov rsi, rsp */,
      ...mov32(R.ax, SYS_rt_sigprocmask), ...mov32(R.di, SIG_SETMASK), ...mov32(R.dx, 0), ...mov32(R.r10, 8), ...SYSCALL,
      ...movabs(R.ax, g.flags), 0x50, 0x9d /* push rax; popfq */,
      ...movabs(R.r15, g.r15), ...movabs(R.r14, g.r14), ...movabs(R.r13, g.r13), ...movabs(R.r12, g.r12),
      ...movabs(R.r11, g.r11), ...movabs(R.r10, g.r10), ...movabs(R.r9, g.r9), ...movabs(R.r8, g.r8),
      ...movabs(R.bp, g.bp), ...movabs(R.bx, g.bx), ...movabs(R.dx, g.dx), ...movabs(R.si, g.si), ...movabs(R.di, g.di),
      ...movabs(R.cx, g.cx), ...movabs(R.ax, g.ax), ...movabs(R.sp, g.sp),
      // jmp [rip+0], the target right after the instruction.
      0xff, 0x25, 0, 0, 0, 0, ...imm64(g.ip),
    ];
  });
  // The dispatch: cmp eax, tid; je body (rel32 from the end of the je), for each thread; else ud2.
  const DISPATCH_ENTRY = 5 + 6;
  const dispatchLen = threads.length * DISPATCH_ENTRY + 2;
  const code = [...head];
  let bodyAt = head.length + dispatchLen;
  threads.forEach((t, i) => {
    const jeEnd = code.length + DISPATCH_ENTRY;
    code.push(0x3d, ...imm32(t.tid), 0x0f, 0x84, ...imm32(bodyAt - jeEnd));
    bodyAt += bodies[i].length;
  });
  code.push(0x0f, 0x0b);
  for (const b of bodies) code.push(...b);
  return Buffer.from(code);
}

/** `jmp rel32` from `from` (the address of the jmp) to `to`. */
export function jumpTo(from: bigint, to: bigint): Buffer {
  const rel = Number(to - (from + 5n));
  return Buffer.from([0xe9, ...imm32(rel >>> 0)]);
}
