/**
 * One ptrace-stopped task: seize, wait for stops, registers, signal mask, resume.
 * All calls run on Node's main thread, the one that attached.
 */
import { native } from '../native';
import { AmberError } from '../errors';
import { decodeGpRegs, encodeGpRegs, GpRegs, GP_REGS_SIZE, NT_PRSTATUS, NT_X86_XSTATE, XSTATE_MAX_SIZE } from '../arch/x86_64/regs';
import { __WALL, decodeWaitStatus, describeWaitStatus, PTRACE_EVENT_STOP, SIGTRAP, WaitStatus } from './wait-status';

export const PTRACE_O_TRACESYSGOOD = 0x1;
export const PTRACE_O_EXITKILL = 0x100000;
export const PTRACE_O_SUSPEND_SECCOMP = 0x200000;

const FAULTS = new Set([4, 7, 8, 11]); // SIGILL SIGBUS SIGFPE SIGSEGV
const SI_TKILL = -6;

export class TaskGoneError extends AmberError {
  override readonly code = 'ETASKGONE';
  constructor(readonly pid: number, readonly status: WaitStatus, doing: string) {
    super(`task ${pid} ${describeWaitStatus(status)} while ${doing}`);
  }
}

export class Tracee {
  /** Seized while in a job-control (group) stop: see leaveJobStop(). */
  inJobStop = false;

  constructor(readonly pid: number) {}

  /**
   * For a task seized in a job-control stop, once that stop is cleared (SIGCONT): resume into the
   * still pending interrupt trap, so the task is held by ptrace alone and can run injected code.
   */
  leaveJobStop(): void {
    if (!this.inJobStop) return;
    native.ptraceCont(this.pid, 0);
    this.waitFor('moving out of its job-control stop', (s) => s.event === PTRACE_EVENT_STOP && s.signal === SIGTRAP);
    this.inJobStop = false;
  }

  /**
   * PTRACE_SEIZE + PTRACE_INTERRUPT, then wait for the interrupt stop. Seccomp is suspended while
   * we hold the task: its filters must not judge the syscalls we inject.
   */
  static seize(pid: number, options = PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP): Tracee {
    native.ptraceSeize(pid, options);
    const t = new Tracee(pid);
    try {
      native.ptraceInterrupt(pid);
      // The interrupt's trap, or the report of a job-control stop the task was already in.
      const st = t.waitFor('freezing', (s) => s.event === PTRACE_EVENT_STOP);
      t.inJobStop = st.signal !== SIGTRAP;
    } catch (e) {
      try { native.ptraceDetach(pid, 0); } catch { /* already gone */ }
      throw e;
    }
    return t;
  }

  /** Waits until a stop matching `accept`; other stops are resumed and a death throws. */
  waitFor(doing: string, accept: (s: Extract<WaitStatus, { kind: 'stopped' }>) => boolean): Extract<WaitStatus, { kind: 'stopped' }> {
    for (;;) {
      const [, raw] = native.waitpid(this.pid, __WALL);
      const st = decodeWaitStatus(raw);
      if (st.kind === 'exited' || st.kind === 'signaled') throw new TaskGoneError(this.pid, st, doing);
      if (st.kind !== 'stopped') continue;
      if (accept(st)) return st;
      if (st.event === 0 && FAULTS.has(st.signal)) {
        // Our injected code faulted: resuming would only fault again.
        throw new AmberError(`task ${this.pid} faulted (signal ${st.signal}) while ${doing}`);
      }
      // Every blockable signal is blocked while we work, so this is a stop signal or a group-stop:
      // resume past it rather than leave the task stopped under our hands.
      native.ptraceCont(this.pid, 0);
    }
  }

  /** Continue until the int3 after an injected syscall. */
  contToTrap(doing: string): void {
    native.ptraceCont(this.pid, 0);
    this.waitFor(doing, (s) => s.signal === SIGTRAP && !s.syscall && s.event === 0);
  }

  /**
   * From a syscall stop into a stop inside the kernel's signal handling: a SIGTRAP sent by us
   * (tgkill), intercepted at its delivery. Resumed from there (discarding it), the task passes
   * through syscall restart before it runs a single instruction. A signal of the program's that
   * comes first is delivered on the way (it must be unblocked for ours to arrive: the caller
   * sets the mask). Works for tasks attached by PTRACE_TRACEME, where PTRACE_INTERRUPT does not.
   */
  wakeInSignalPath(tgid: number, doing: string): void {
    native.tgkill(tgid, this.pid, SIGTRAP);
    native.ptraceCont(this.pid, 0);
    for (;;) {
      const st = this.waitFor(doing, (s) => s.event === 0 && !s.syscall);
      const info = native.ptraceGetSiginfo(this.pid);
      const ours = st.signal === SIGTRAP && info.readInt32LE(8) === SI_TKILL && info.readInt32LE(16) === process.pid;
      if (ours) return;
      native.ptraceCont(this.pid, st.signal);
    }
  }

  /** Continue to the next syscall entry or exit stop. */
  stepSyscall(doing: string): void {
    native.ptraceSyscall(this.pid, 0);
    this.waitFor(doing, (s) => s.syscall);
  }

  getRegs(): GpRegs {
    return decodeGpRegs(native.ptraceGetRegset(this.pid, NT_PRSTATUS, GP_REGS_SIZE));
  }
  setRegs(regs: GpRegs): void {
    native.ptraceSetRegset(this.pid, NT_PRSTATUS, encodeGpRegs(regs));
  }
  getXstate(): Buffer {
    return native.ptraceGetRegset(this.pid, NT_X86_XSTATE, XSTATE_MAX_SIZE);
  }
  setXstate(buf: Buffer): void {
    native.ptraceSetRegset(this.pid, NT_X86_XSTATE, buf);
  }
  getSigmask(): bigint {
    return native.ptraceGetSigmask(this.pid);
  }
  setSigmask(mask: bigint): void {
    native.ptraceSetSigmask(this.pid, mask);
  }
  setOptions(options: number): void {
    native.ptraceSetOptions(this.pid, options);
  }
  detach(signal = 0): void {
    native.ptraceDetach(this.pid, signal);
  }
}
