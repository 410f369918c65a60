/**
 * Prepares a seized task for injected syscalls without changing a byte of its code:
 * one mmap is run from a `syscall` instruction found in the task's vDSO (stepping to the
 * syscall exit), which creates the scratch area; the `syscall; int3` gadget goes there.
 * cure() removes the scratch area and puts registers and signal mask back.
 */
import * as fs from 'node:fs';
import { GpRegs, SYSCALL_GADGET } from '../arch/x86_64/regs';
import { SYS } from '../arch/x86_64/syscalls';
import { AmberError, SysError } from '../errors';
import { MapsEntry } from '../proc/maps';
import { applySyscallRestart } from './restart';
import { ProgramArea, RemoteSyscalls } from './remote-syscalls';
import { TaskMemory } from './task-memory';
import { INJECTION_SIGMASK } from './wait-status';
import { Tracee } from './tracee';

export const SCRATCH_SIZE = 64 * 1024;
/** The gadget sits at the start of the scratch area; data buffers follow from here. */
const SCRATCH_DATA_OFFSET = 4096;
/** Batched syscalls' code: the rest of the gadget's page. */
const PROGRAM_OFFSET = 16;
/** Batched syscalls' results: the last bytes of the area, kept out of the data buffer. */
const RESULT_SLOTS = 64;
const RESULTS_OFFSET = SCRATCH_SIZE - 8 * RESULT_SLOTS;

/** The data buffer of a scratch area at `scratch`: after the gadget's page, up to the result slots. */
export function scratchData(scratch: bigint): { data: bigint; dataSize: number } {
  return { data: scratch + BigInt(SCRATCH_DATA_OFFSET), dataSize: RESULTS_OFFSET - SCRATCH_DATA_OFFSET };
}

/** Where batches of syscalls run in a scratch area at `scratch` (RemoteSyscalls.rawBatch). */
export function scratchProgram(mem: TaskMemory, scratch: bigint): ProgramArea {
  return { mem, code: scratch + BigInt(PROGRAM_OFFSET), codeSize: SCRATCH_DATA_OFFSET - PROGRAM_OFFSET, results: scratch + BigInt(RESULTS_OFFSET), resultSlots: RESULT_SLOTS };
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
  const remote = new RemoteSyscalls(tracee, scratch, savedRegs, scratchProgram(mem, scratch));
  return {
    remote, mem, scratch, savedRegs, savedSigmask,
    ...scratchData(scratch),
    thread(t: Tracee): ThreadInjection {
      const regs = t.getRegs();
      const mask = t.getSigmask();
      t.setSigmask(INJECTION_SIGMASK);
      return {
        remote: new RemoteSyscalls(t, scratch, regs, scratchProgram(mem, scratch)), mem, ...scratchData(scratch),
        release() {
          t.setRegs(applySyscallRestart(regs, true, signalPending(t.pid)));
          t.setSigmask(mask);
        },
      };
    },
    cure() {
      try {
        remote.callAtExit(SYS.munmap, scratch, scratch, SCRATCH_SIZE);
      } finally {
        try { restoreTask(); } finally { mem.close(); }
      }
    },
  };
}
