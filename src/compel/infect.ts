/**
 * Prepares a seized task for injected syscalls without changing a byte of its code:
 * one mmap is run from a `syscall` instruction found in the task's vDSO (stepping to the
 * syscall exit), which creates the scratch area; the `syscall; int3` gadget goes there.
 * cure() removes the scratch area and puts registers and signal mask back.
 */
import * as fs from 'node:fs';
import { GpRegs, SYSCALL_GADGET } from '../arch/x86_64/regs';
import { encodeRecovery, jumpTo, type RecoveryThread } from '../arch/x86_64/recovery';
import { SYS } from '../arch/x86_64/syscalls';
import { AmberError, SysError } from '../errors';
import { MapsEntry } from '../proc/maps';
import { applySyscallRestart } from './restart';
import { ProgramArea, RemoteSyscalls } from './remote-syscalls';
import { TaskMemory } from './task-memory';
import { INJECTION_SIGMASK } from './wait-status';
import { Tracee } from './tracee';

export const SCRATCH_SIZE = 64 * 1024;
/**
 * The scratch area: its first page is code (the gadget at 0, batch programs from PROGRAM_OFFSET,
 * the recovery code from RECOVERY_OFFSET); then the data buffer handed to callers; then the
 * recovery code's data (the task's own SIGTRAP action, amber's, a small stack); then the result
 * slots of batches.
 */
const SCRATCH_DATA_OFFSET = 4096;
const PROGRAM_OFFSET = 16;
const RECOVERY_OFFSET = 2048;
const RESULT_SLOTS = 64;
const RESULTS_OFFSET = SCRATCH_SIZE - 8 * RESULT_SLOTS;
const RECOVERY_DATA_OFFSET = RESULTS_OFFSET - 512;
const SAVED_TRAP_ACTION = RECOVERY_DATA_OFFSET, OUR_TRAP_ACTION = RECOVERY_DATA_OFFSET + 32;
/** The recovery code's stack: it grows down from the result slots, over the rest of the 512 bytes. */
const RECOVERY_STACK_TOP = RESULTS_OFFSET;

/** The data buffer of a scratch area at `scratch`: after the code page, up to the recovery data. */
export function scratchData(scratch: bigint): { data: bigint; dataSize: number } {
  return { data: scratch + BigInt(SCRATCH_DATA_OFFSET), dataSize: RECOVERY_DATA_OFFSET - SCRATCH_DATA_OFFSET };
}

/** Where batches of syscalls run in a scratch area at `scratch` (RemoteSyscalls.rawBatch). */
export function scratchProgram(mem: TaskMemory, scratch: bigint, withTrap = false): ProgramArea {
  // Room at the end of the program for its jump to the gadget's int3 (+2), which the jump to the
  // recovery code follows.
  return { mem, code: scratch + BigInt(PROGRAM_OFFSET), codeSize: RECOVERY_OFFSET - PROGRAM_OFFSET - 5, results: scratch + BigInt(RESULTS_OFFSET), resultSlots: RESULT_SLOTS, trap: withTrap ? scratch + 2n : undefined };
}

const KSIGACTION_SIZE = 32;
const SA_RESTORER = 0x04000000n, SA_NODEFER = 0x40000000n;
const SIGTRAP = 5;

/** A kernel sigaction (handler, flags, restorer, mask), as rt_sigaction reads and writes it. */
export interface KernelSigaction { sigaction: bigint; flags: bigint; restorer: bigint; mask: bigint }

function decodeAction(b: Buffer): KernelSigaction {
  return { sigaction: b.readBigUInt64LE(0), flags: b.readBigUInt64LE(8), restorer: b.readBigUInt64LE(16), mask: b.readBigUInt64LE(24) };
}

const PROT_RWX = 7, PROT_RX = 5, PROT_RW = 3;
const EACCES = 13n;
const MAP_PRIVATE_ANON = 0x22;

export interface Infection {
  readonly remote: RemoteSyscalls;
  readonly mem: TaskMemory;
  readonly scratch: bigint;
  /** Address of the scratch data area (for buffers passed to injected syscalls). */
  readonly data: bigint;
  readonly dataSize: number;
  /** Registers and signal mask as the task had them when seized. */
  readonly savedRegs: GpRegs;
  readonly savedSigmask: bigint;
  /** The task's own SIGTRAP action: while infected, its SIGTRAP handler is amber's recovery code. */
  readonly savedTrapAction: KernelSigaction;
  /** Injected syscalls in another thread of the same process, through the same scratch area. */
  thread(tracee: Tracee): ThreadInjection;
  cure(): void;
}

export interface ThreadInjection {
  readonly remote: RemoteSyscalls;
  readonly mem: TaskMemory;
  readonly data: bigint;
  readonly dataSize: number;
  /** Puts the thread's registers and signal mask back; call before the process's cure(). */
  release(): void;
}

function findSyscallInsn(mem: TaskMemory, maps: MapsEntry[], pid: number): bigint {
  const vdso = maps.find((m) => m.path === '[vdso]');
  if (!vdso) throw new AmberError(`task ${pid} has no [vdso] mapping: cannot bootstrap injected syscalls`);
  const text = mem.read(vdso.start, Number(vdso.end - vdso.start));
  for (let i = 0; i + 1 < text.length; i++) {
    if (text[i] === 0x0f && text[i + 1] === 0x05) return vdso.start + BigInt(i);
  }
  throw new AmberError(`task ${pid}: no syscall instruction in its vDSO`);
}

/** Whether a signal waits for the thread (its own queue or its process's), from /proc. */
function signalPending(tid: number): boolean {
  try {
    const st = fs.readFileSync(`/proc/${tid}/status`, 'utf8');
    return /^(SigPnd|ShdPnd):\s*0*[1-9a-f]/im.test(st);
  } catch {
    return true;
  }
}

export function infect(tracee: Tracee, maps: MapsEntry[]): Infection {
  const savedRegs = tracee.getRegs();
  const savedSigmask = tracee.getSigmask();
  const mem = new TaskMemory(tracee.pid);
  let scratch = 0n;
  const restoreTask = () => {
    tracee.setRegs(applySyscallRestart(savedRegs, true, signalPending(tracee.pid)));
    tracee.setSigmask(savedSigmask);
  };
  try {
    // Nothing of the task's may run while it executes our syscalls: block every signal.
    tracee.setSigmask(INJECTION_SIGMASK);
    const bootstrap = new RemoteSyscalls(tracee, 0n, savedRegs);
    const insn = findSyscallInsn(mem, maps, tracee.pid);
    const r = bootstrap.rawAtExit(SYS.mmap, insn, 0, SCRATCH_SIZE, PROT_RWX, MAP_PRIVATE_ANON, -1, 0);
    if (r === -EACCES) {
      // Memory-deny-write-execute (PR_SET_MDWE): no mapping may be writable and executable. The
      // area is mapped executable, the gadget written through /proc/PID/mem (which may), and the
      // data part made writable (dropping exec is allowed).
      scratch = bootstrap.callAtExit(SYS.mmap, insn, 0, SCRATCH_SIZE, PROT_RX, MAP_PRIVATE_ANON, -1, 0);
      mem.write(scratch, SYSCALL_GADGET);
      new RemoteSyscalls(tracee, scratch, savedRegs).call(SYS.mprotect, scratch + BigInt(SCRATCH_DATA_OFFSET), SCRATCH_SIZE - SCRATCH_DATA_OFFSET, PROT_RW);
    } else {
      if (r < 0n && r > -4096n) throw new SysError(Number(-r), 'mmap (inside the task)', tracee.pid);
      scratch = r;
      mem.write(scratch, SYSCALL_GADGET);
    }
  } catch (e) {
    try { restoreTask(); } finally { mem.close(); }
    throw e;
  }
  const recovery = scratch + BigInt(RECOVERY_OFFSET);
  const remote = new RemoteSyscalls(tracee, scratch, savedRegs, scratchProgram(mem, scratch, true));
  // The threads whose registers amber has changed, for the recovery code (recovery.ts).
  const changed = new Map<number, RecoveryThread>();
  const writeRecovery = () => {
    const code = encodeRecovery([...changed.values()], scratch + BigInt(RECOVERY_STACK_TOP), scratch + BigInt(SAVED_TRAP_ACTION));
    if (code.length > SCRATCH_DATA_OFFSET - RECOVERY_OFFSET) throw new AmberError(`task ${tracee.pid}: too many threads under injection at once for the recovery code`);
    mem.write(recovery, code);
  };
  let savedTrapAction: KernelSigaction;
  try {
    changed.set(tracee.pid, { tid: tracee.pid, regs: applySyscallRestart(savedRegs, true, signalPending(tracee.pid)), sigmask: savedSigmask });
    writeRecovery();
    // After the int3: to the recovery code, should the tracer be gone by then.
    mem.write(scratch + 3n, jumpTo(scratch + 3n, recovery));
    const ours = Buffer.alloc(KSIGACTION_SIZE);
    ours.writeBigUInt64LE(recovery, 0);
    ours.writeBigUInt64LE(SA_RESTORER | SA_NODEFER, 8);
    ours.writeBigUInt64LE(recovery, 16);
    ours.writeBigUInt64LE(~0n & 0xffffffffffffffffn, 24);
    mem.write(scratch + BigInt(OUR_TRAP_ACTION), ours);
    remote.call(SYS.rt_sigaction, SIGTRAP, scratch + BigInt(OUR_TRAP_ACTION), scratch + BigInt(SAVED_TRAP_ACTION), KSIGACTION_SIZE / 4);
    savedTrapAction = decodeAction(mem.read(scratch + BigInt(SAVED_TRAP_ACTION), KSIGACTION_SIZE));
  } catch (e) {
    try {
      remote.callAtExit(SYS.munmap, scratch, scratch, SCRATCH_SIZE);
    } finally {
      try { restoreTask(); } finally { mem.close(); }
    }
    throw e;
  }
  return {
    remote, mem, scratch, savedRegs, savedSigmask, savedTrapAction,
    ...scratchData(scratch),
    thread(t: Tracee): ThreadInjection {
      const regs = t.getRegs();
      const mask = t.getSigmask();
      changed.set(t.pid, { tid: t.pid, regs: applySyscallRestart(regs, true, signalPending(t.pid)), sigmask: mask });
      writeRecovery();
      // Parked at the jump to the recovery code before its mask changes: a thread amber leaves
      // behind at any point from here on finds its way back (orig_ax -1: no syscall restart).
      t.setRegs({ ...regs, ip: scratch + 3n, orig_ax: BigInt.asUintN(64, -1n) });
      t.setSigmask(INJECTION_SIGMASK);
      return {
        remote: new RemoteSyscalls(t, scratch, regs, scratchProgram(mem, scratch, true)), mem, ...scratchData(scratch),
        release() {
          // Mask first: until its registers are its own again, the thread is parked at the trap.
          t.setSigmask(mask);
          t.setRegs(applySyscallRestart(regs, true, signalPending(t.pid)));
          changed.delete(t.pid);
          writeRecovery();
        },
      };
    },
    cure() {
      try {
        // The task's own SIGTRAP action back first: the recovery code restores it too, if needed.
        remote.call(SYS.rt_sigaction, SIGTRAP, scratch + BigInt(SAVED_TRAP_ACTION), 0, KSIGACTION_SIZE / 4);
        remote.callAtExit(SYS.munmap, scratch, scratch, SCRATCH_SIZE);
      } finally {
        try { restoreTask(); } finally { mem.close(); }
      }
    },
  };
}
