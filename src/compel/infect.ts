/**
 * Prepares a seized task for injected syscalls without changing a byte of its code:
 * one mmap is run from the task's vDSO (stepping to the syscall exit), which creates the
 * scratch area; the `syscall; int3` gadget goes there. cure() removes the scratch area and puts
 * registers and signal mask back. While it is infected the task can put itself back should
 * amber die (arch/x86_64/recovery.ts: code in the free tail of its vDSO, vdso-tail.ts).
 */
import * as fs from 'node:fs';
import { GpRegs, SYSCALL_GADGET } from '../arch/x86_64/regs';
import { absoluteJump, ESCAPE_CODE_SIZE, ESCAPE_TABLE_SIZE, escapeCode, THREAD_TABLE_TID, threadTable, type EscapeEntries, type RecoveryThread } from '../arch/x86_64/recovery';
import { SYS } from '../arch/x86_64/syscalls';
import { AmberError, SysError } from '../errors';
import { MapsEntry } from '../proc/maps';
import { applySyscallRestart } from './restart';
import { ProgramArea, RemoteSyscalls } from './remote-syscalls';
import { TaskMemory } from './task-memory';
import { INJECTION_SIGMASK } from './wait-status';
import { Tracee } from './tracee';
import { vdsoTail } from './vdso-tail';

export const SCRATCH_SIZE = 128 * 1024;
/**
 * The scratch area: its first four pages are code (the gadget at 0: `syscall; int3`, then at 3 an
 * absolute jump to the escape code, which a task left alone in the trap goes on to; batch
 * programs from PROGRAM_OFFSET); then the data buffer handed to callers; then the escape code's
 * data (the task's own SIGTRAP action, amber's, the count of threads to come out); then the
 * result slots of batches.
 */
/**
 * Room for programs of some 200 calls, so that a batch of up to RESULT_SLOTS runs in one stop
 * (one page held about 50: 10,000 mmaps at restore were 200 stops).
 */
const SCRATCH_DATA_OFFSET = 16384;
const PROGRAM_OFFSET = 32;
const RESULT_SLOTS = 256;
const RESULTS_OFFSET = SCRATCH_SIZE - 8 * RESULT_SLOTS;
const RECOVERY_DATA_OFFSET = RESULTS_OFFSET - 512;
const SAVED_TRAP_ACTION = RECOVERY_DATA_OFFSET, OUR_TRAP_ACTION = RECOVERY_DATA_OFFSET + 32, LIVE_COUNT = RECOVERY_DATA_OFFSET + 64;
/** 32 zero bytes (32-aligned) an rseq() question may register for a moment (task/rseq.ts). */
const RSEQ_PROBE = RECOVERY_DATA_OFFSET + 128;

/**
 * The area of a scratch area at `scratch` that a thread's rseq registration may be asked about
 * (kernels before 5.13); the escape code unregisters it, so amber dying mid-question leaves none.
 */
export function rseqProbeArea(scratch: bigint): bigint {
  return scratch + BigInt(RSEQ_PROBE);
}

/** The data buffer of a scratch area at `scratch`: after the code page, up to the recovery data. */
export function scratchData(scratch: bigint): { data: bigint; dataSize: number } {
  return { data: scratch + BigInt(SCRATCH_DATA_OFFSET), dataSize: RECOVERY_DATA_OFFSET - SCRATCH_DATA_OFFSET };
}

/** Where batches of syscalls run in a scratch area at `scratch` (RemoteSyscalls.rawBatch). */
export function scratchProgram(mem: TaskMemory, scratch: bigint, withTrap = false, encoded?: Map<string, { code: Buffer; count: number }>): ProgramArea {
  // Room at the end of the program for its jump to the gadget's int3 (+2), which the jump to the
  // escape code follows.
  return { mem, code: scratch + BigInt(PROGRAM_OFFSET), codeSize: SCRATCH_DATA_OFFSET - PROGRAM_OFFSET - 5, results: scratch + BigInt(RESULTS_OFFSET), resultSlots: RESULT_SLOTS, trap: withTrap ? scratch + 2n : undefined, encoded };
}

/** Threads under injection at once: the main thread and one other (process-dump.ts). */
const ESCAPE_THREADS = 2;
const ESCAPE_SIZE = ESCAPE_CODE_SIZE + ESCAPE_THREADS * ESCAPE_TABLE_SIZE;

const KSIGACTION_SIZE = 32;
const SA_SIGINFO = 4n, SA_RESTORER = 0x04000000n, SA_NODEFER = 0x40000000n;
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

/** The task's vDSO: where its first `syscall` instruction is, and its free tail if it has one. */
function readVdso(mem: TaskMemory, maps: MapsEntry[], pid: number): { syscallInsn: bigint; tail?: { start: bigint; size: number } } {
  const vdso = maps.find((m) => m.path === '[vdso]');
  if (!vdso) throw new AmberError(`task ${pid} has no [vdso] mapping: cannot bootstrap injected syscalls`);
  const text = mem.read(vdso.start, Number(vdso.end - vdso.start));
  for (let i = 0; i + 1 < text.length; i++) {
    if (text[i] === 0x0f && text[i + 1] === 0x05) return { syscallInsn: vdso.start + BigInt(i), tail: vdsoTail(text, vdso.start) };
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

/**
 * The escape code of one infection, in the vDSO's free tail: the code, then a table per thread
 * (slot 0: the main thread). Rewritten whenever the threads amber changed change; `live` (in
 * the scratch area) is kept at least as high as the threads that would come out through it.
 */
class Escape {
  readonly entries: EscapeEntries;
  private scratch = 0n;
  private written = false;
  private readonly slots = new Map<number, { slot: number; t: RecoveryThread }>();

  constructor(private readonly mem: TaskMemory, readonly base: bigint) {
    this.entries = this.encode().entries;
  }

  private table(slot: number): bigint {
    return this.base + BigInt(ESCAPE_CODE_SIZE + slot * ESCAPE_TABLE_SIZE);
  }

  private encode() {
    return escapeCode({
      base: this.base, scratch: this.scratch, scratchSize: SCRATCH_SIZE,
      liveCount: this.scratch + BigInt(LIVE_COUNT), savedTrapAction: this.scratch + BigInt(SAVED_TRAP_ACTION), rseqProbe: rseqProbeArea(this.scratch),
    }, this.table(0), [...Array(ESCAPE_THREADS).keys()].map((slot) => this.table(slot)));
  }

  at(entry: keyof EscapeEntries): bigint {
    return this.base + this.entries[entry];
  }

  setScratch(scratch: bigint): void {
    this.scratch = scratch;
    this.write();
  }

  /** Puts `t` in (or updates it); the main thread takes slot 0. */
  set(t: RecoveryThread, main: boolean): void {
    let slot = this.slots.get(t.tid)?.slot;
    if (slot === undefined) {
      const used = new Set([...this.slots.values()].map((x) => x.slot));
      slot = main ? 0 : [...Array(ESCAPE_THREADS).keys()].find((i) => i > 0 && !used.has(i));
      if (slot === undefined) throw new AmberError(`task ${t.tid}: more threads under injection at once than the escape code holds (${ESCAPE_THREADS})`);
    }
    this.slots.set(t.tid, { slot, t });
    // The code finds the table by the tid in it: one write, the code stays as it is.
    this.mem.write(this.table(slot), threadTable(this.table(slot), t));
    if (!this.written) this.write();
  }

  delete(tid: number): void {
    const slot = this.slots.get(tid)?.slot;
    this.slots.delete(tid);
    if (slot !== undefined) this.mem.write(this.table(slot) + BigInt(THREAD_TABLE_TID), Buffer.alloc(4));
  }

  /** How many threads must come out before the last one unmaps the scratch area. */
  setLive(n: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    this.mem.write(this.scratch + BigInt(LIVE_COUNT), b);
  }

  private write(): void {
    this.mem.write(this.base, this.encode().code);
    this.written = true;
  }

  /** The vDSO's tail as it was (zeros), once the task runs none of it. */
  erase(): void {
    this.mem.write(this.base, Buffer.alloc(ESCAPE_SIZE));
  }
}

/** Moments of an infection at which a test may stop amber for good (dump: AMBER_FAULT=hang:dump:infect:MOMENT). */
export type InfectMoment = 'bootstrap-loaded' | 'bootstrap-done' | 'call-loaded' | 'cure-loaded' | 'cure-restored' | 'cure-unmapped';

export function infect(tracee: Tracee, maps: MapsEntry[], pause?: (moment: InfectMoment) => void): Infection {
  const savedRegs = tracee.getRegs();
  const savedSigmask = tracee.getSigmask();
  const mem = new TaskMemory(tracee.pid);
  let scratch = 0n;
  const resumeRegs = () => applySyscallRestart(savedRegs, true, () => signalPending(tracee.pid));
  const restoreTask = () => {
    // Mask first: until the registers are the task's own, it is still in (or before) the escape code.
    tracee.setSigmask(savedSigmask);
    tracee.setRegs(resumeRegs());
  };
  let escape: Escape | undefined;
  let syscallInsn = 0n;
  try {
    const vdso = readVdso(mem, maps, tracee.pid);
    syscallInsn = vdso.syscallInsn;
    // Without room in the vDSO (not seen on x86_64 kernels, whose vDSO ends with most of a page
    // free), the task cannot put itself back should amber die while it is infected.
    if (vdso.tail && vdso.tail.size >= ESCAPE_SIZE) {
      escape = new Escape(mem, vdso.tail.start);
      escape.set({ tid: tracee.pid, regs: resumeRegs(), sigmask: savedSigmask }, true);
    }
    const bootstrap = new RemoteSyscalls(tracee, 0n, savedRegs);
    const mmapAt = escape ? escape.at('bootstrap') : vdso.syscallInsn;
    // Registers before the mask: the task left alone at any point from here comes back with its
    // own mask (nothing of the task's may run while it executes our syscalls: every signal blocked).
    const mmap = (prot: number) => {
      bootstrap.load(SYS.mmap, mmapAt, 0, SCRATCH_SIZE, prot, MAP_PRIVATE_ANON, -1, 0);
      tracee.setSigmask(INJECTION_SIGMASK);
      pause?.('bootstrap-loaded');
      return bootstrap.stepOver(SYS.mmap);
    };
    const r = mmap(PROT_RWX);
    const gadget = Buffer.concat([SYSCALL_GADGET.subarray(0, 3), escape ? absoluteJump(escape.at('fromTrap')) : Buffer.alloc(0)]);
    const settle = (at: bigint) => {
      scratch = at;
      // The escape code learns where the scratch area is before the task runs a byte of it.
      if (escape) {
        const none = Buffer.alloc(KSIGACTION_SIZE);
        none.writeBigInt64LE(-1n, 0);
        mem.write(scratch + BigInt(SAVED_TRAP_ACTION), none);
        escape.setScratch(scratch);
        escape.setLive(1);
      }
      mem.write(scratch, gadget);
    };
    if (r === -EACCES) {
      // Memory-deny-write-execute (PR_SET_MDWE): no mapping may be writable and executable. The
      // area is mapped executable, the gadget written through /proc/PID/mem (which may), and the
      // data part made writable (dropping exec is allowed).
      const at = mmap(PROT_RX);
      if (at < 0n && at > -4096n) throw new SysError(Number(-at), 'mmap (inside the task)', tracee.pid);
      settle(at);
      new RemoteSyscalls(tracee, scratch, savedRegs).call(SYS.mprotect, scratch + BigInt(SCRATCH_DATA_OFFSET), SCRATCH_SIZE - SCRATCH_DATA_OFFSET, PROT_RW);
    } else {
      if (r < 0n && r > -4096n) throw new SysError(Number(-r), 'mmap (inside the task)', tracee.pid);
      settle(r);
    }
    pause?.('bootstrap-done');
  } catch (e) {
    try {
      // From where the bootstrap mmap ran: the gadget may not be in the scratch area yet.
      if (scratch) new RemoteSyscalls(tracee, 0n, savedRegs).callAtExit(SYS.munmap, escape?.at('bootstrap') ?? syscallInsn, scratch, SCRATCH_SIZE);
    } catch { /* the task is put back below all the same */ }
    try { restoreTask(); escape?.erase(); } finally { mem.close(); }
    throw e;
  }
  // Every thread's programs run at the same addresses: encoded once for all of them.
  const encoded = new Map<string, { code: Buffer; count: number }>();
  const remote = new RemoteSyscalls(tracee, scratch, savedRegs, scratchProgram(mem, scratch, true, encoded), pause && (() => pause('call-loaded')));
  // The threads whose registers amber has changed, for the escape code (recovery.ts).
  let live = 1;
  let savedTrapAction: KernelSigaction;
  try {
    if (escape) {
      const ours = Buffer.alloc(KSIGACTION_SIZE);
      ours.writeBigUInt64LE(escape.at('handler'), 0);
      ours.writeBigUInt64LE(SA_SIGINFO | SA_RESTORER | SA_NODEFER, 8);
      ours.writeBigUInt64LE(escape.at('handler'), 16);
      ours.writeBigUInt64LE(~0n & 0xffffffffffffffffn, 24);
      mem.write(scratch + BigInt(OUR_TRAP_ACTION), ours);
      remote.call(SYS.rt_sigaction, SIGTRAP, scratch + BigInt(OUR_TRAP_ACTION), scratch + BigInt(SAVED_TRAP_ACTION), KSIGACTION_SIZE / 4);
    } else {
      remote.call(SYS.rt_sigaction, SIGTRAP, 0, scratch + BigInt(SAVED_TRAP_ACTION), KSIGACTION_SIZE / 4);
    }
    savedTrapAction = decodeAction(mem.read(scratch + BigInt(SAVED_TRAP_ACTION), KSIGACTION_SIZE));
  } catch (e) {
    try {
      cureAt();
    } finally {
      try { restoreTask(); escape?.erase(); } finally { mem.close(); }
    }
    throw e;
  }
  /** SIGTRAP's action back (if amber changed it), then the scratch area unmapped. */
  function cureAt(): void {
    if (!escape) {
      remote.callAtExit(SYS.munmap, scratch, scratch, SCRATCH_SIZE);
      return;
    }
    // From the escape code's cure entry: left alone after any of it, the task finishes the cure itself.
    escape.set({ tid: tracee.pid, regs: resumeRegs(), sigmask: savedSigmask }, true);
    const saved = mem.read(scratch + BigInt(SAVED_TRAP_ACTION), 8).readBigInt64LE(0) === -1n ? 0n : scratch + BigInt(SAVED_TRAP_ACTION);
    remote.load(SYS.rt_sigaction, escape.at('cure'), SIGTRAP, saved, 0, KSIGACTION_SIZE / 4);
    pause?.('cure-loaded');
    const restored = remote.stepOver(SYS.rt_sigaction);
    pause?.('cure-restored');
    const unmapped = remote.stepOver(SYS.munmap);
    pause?.('cure-unmapped');
    if (restored < 0n) throw new SysError(Number(-restored), 'rt_sigaction (inside the task, SIGTRAP\'s own action back)', tracee.pid);
    if (unmapped < 0n) throw new SysError(Number(-unmapped), 'munmap (inside the task, the scratch area)', tracee.pid);
  }
  return {
    remote, mem, scratch, savedRegs, savedSigmask, savedTrapAction,
    ...scratchData(scratch),
    thread(t: Tracee): ThreadInjection {
      const regs = t.getRegs();
      const mask = t.getSigmask();
      // Counted before it is changed: a count too high leaves the scratch area behind, too low
      // would unmap it under a thread still in it.
      escape?.set({ tid: t.pid, regs: applySyscallRestart(regs, true, () => signalPending(t.pid)), sigmask: mask }, false);
      escape?.setLive(++live);
      // Parked at the jump to the escape code before its mask changes: a thread amber leaves
      // behind at any point from here on finds its way back (orig_ax -1: no syscall restart).
      t.setRegs({ ...regs, ip: scratch + 3n, orig_ax: BigInt.asUintN(64, -1n) });
      t.setSigmask(INJECTION_SIGMASK);
      return {
        remote: new RemoteSyscalls(t, scratch, regs, scratchProgram(mem, scratch, true, encoded)), mem, ...scratchData(scratch),
        release() {
          // Mask first: until its registers are its own again, the thread is parked at the trap.
          t.setSigmask(mask);
          t.setRegs(applySyscallRestart(regs, true, () => signalPending(t.pid)));
          escape?.setLive(--live);
          escape?.delete(t.pid);
        },
      };
    },
    cure() {
      try {
        cureAt();
      } finally {
        try { restoreTask(); escape?.erase(); } finally { mem.close(); }
      }
    },
  };
}
