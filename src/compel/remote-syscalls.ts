/**
 * Runs syscalls inside a stopped task: registers set to the arguments, IP at a `syscall; int3`
 * gadget in the task's scratch area, continue, read the result at the SIGTRAP.
 */
import { SysError } from '../errors';
import { GpRegs, signed } from '../arch/x86_64/regs';
import { syscallName } from '../arch/x86_64/syscalls';
import { ProgramCall, encodeSyscallProgram } from '../arch/x86_64/syscall-program';
import { jumpTo } from '../arch/x86_64/recovery';
import type { TaskMemory } from './task-memory';
import { Tracee } from './tracee';

export type Arg = number | bigint;

/** Where a batch of syscalls (syscall-program.ts) goes in the task: its code and its results. */
export interface ProgramArea {
  readonly mem: TaskMemory;
  readonly code: bigint;
  readonly codeSize: number;
  readonly results: bigint;
  readonly resultSlots: number;
  /**
   * An int3 followed by a jump to the recovery code (the gadget's, infect.ts): a program ends by
   * jumping there, so that a task stopped after any program sits at one address that stays valid
   * when the next program overwrites this one. None in a restore stub (programs end in int3).
   */
  readonly trap?: bigint;
  /**
   * Programs already encoded for this area, by their calls: threads of one process run the same
   * queries, and encoding them for each of 1,000 threads cost 40 ms. Shared by the areas of one
   * scratch area (the same addresses); optional.
   */
  readonly encoded?: Map<string, { code: Buffer; count: number }>;
}

const NO_SYSCALL = BigInt.asUintN(64, -1n);

export function isErrorResult(r: bigint): boolean {
  return r < 0n && r >= -4095n;
}

export class RemoteSyscalls {
  /**
   * @param base registers the task had (segment registers, fs_base) to run the calls with
   * @param gadget address of `syscall; int3` in the task
   * @param beforeResume called with the registers of each call set, before the task runs it
   *   (a test of what the task does if amber dies at that moment stops amber there)
   */
  constructor(readonly tracee: Tracee, readonly gadget: bigint, private readonly base: GpRegs, private readonly program?: ProgramArea,
    private readonly beforeResume?: () => void) {}

  private regsFor(nr: number, args: Arg[], ip: bigint): GpRegs {
    const a = (i: number) => BigInt.asUintN(64, BigInt(args[i] ?? 0));
    // orig_ax = -1 keeps the kernel's syscall-restart logic away from our registers.
    return { ...this.base, ip, ax: BigInt(nr), orig_ax: NO_SYSCALL, di: a(0), si: a(1), dx: a(2), r10: a(3), r8: a(4), r9: a(5) };
  }

  /** The raw result: a value or a negative errno. */
  raw(nr: number, ...args: Arg[]): bigint {
    this.tracee.setRegs(this.regsFor(nr, args, this.gadget));
    this.beforeResume?.();
    this.tracee.contToTrap(`running ${syscallName(nr)} inside it`);
    return signed(this.tracee.getRegs().ax);
  }

  /** The result, or SysError naming the syscall and the task. */
  call(nr: number, ...args: Arg[]): bigint {
    const r = this.raw(nr, ...args);
    if (isErrorResult(r)) throw new SysError(Number(-r), `${syscallName(nr)} (inside the task)`, this.tracee.pid);
    return r;
  }

  /**
   * Raw results of several syscalls run in order, as few stops as the program area allows (one
   * for up to some 50 calls): each runs whatever the ones before it returned, so use it for
   * calls that do not depend on each other's success.
   */
  rawBatch(calls: readonly ProgramCall[]): bigint[] {
    const p = this.program;
    if (!p) return calls.map((c) => this.raw(c.nr, ...c.args));
    const out: bigint[] = [];
    for (let at = 0; at < calls.length;) {
      let n = Math.min(p.resultSlots, calls.length - at);
      // The program for the calls from `at` on (as many as fit), encoded once per area; no
      // program holds more than resultSlots calls, so those alone make its key.
      const key = p.encoded && `${p.trap ?? ''}|${calls.slice(at, at + p.resultSlots).map((c) => `${c.nr}:${c.args.join(',')}`).join(';')}`;
      const known = key === undefined ? undefined : p.encoded!.get(key);
      let code: Buffer | undefined = known?.code;
      if (known) {
        n = known.count;
      } else {
        while (!(code = encodeSyscallProgram(calls.slice(at, at + n), p.results, p.codeSize))) n = Math.max(1, n >> 1);
        if (p.trap !== undefined) code = Buffer.concat([code.subarray(0, code.length - 1), jumpTo(p.code + BigInt(code.length - 1), p.trap)]);
        if (key !== undefined && p.encoded!.size < 256) p.encoded!.set(key, { code, count: n });
      }
      p.mem.write(p.code, code!);
      this.tracee.setRegs({ ...this.base, ip: p.code, orig_ax: NO_SYSCALL });
      this.beforeResume?.();
      this.tracee.contToTrap(`running ${n} syscalls (${syscallName(calls[at].nr)} first) inside it`);
      const r = p.mem.read(p.results, 8 * n);
      for (let i = 0; i < n; i++) out.push(r.readBigInt64LE(8 * i));
      at += n;
    }
    return out;
  }

  /** rawBatch's results, or SysError naming the first call that failed (those after it ran too). */
  callBatch(calls: readonly ProgramCall[]): bigint[] {
    const r = this.rawBatch(calls);
    const bad = r.findIndex(isErrorResult);
    if (bad >= 0) throw new SysError(Number(-r[bad]), `${syscallName(calls[bad].nr)} (inside the task, call ${bad + 1} of a batch of ${calls.length})`, this.tracee.pid);
    return r;
  }

  /**
   * Runs one syscall at `ip` stopping at its exit (PTRACE_SYSCALL), for a call after which
   * the gadget may no longer be there (unmapping the scratch area) or before it exists.
   */
  callAtExit(nr: number, ip: bigint, ...args: Arg[]): bigint {
    const r = this.rawAtExit(nr, ip, ...args);
    if (isErrorResult(r)) throw new SysError(Number(-r), `${syscallName(nr)} (inside the task)`, this.tracee.pid);
    return r;
  }

  /** callAtExit's raw result: a value or a negative errno. */
  rawAtExit(nr: number, ip: bigint, ...args: Arg[]): bigint {
    this.load(nr, ip, ...args);
    return this.stepOver(nr);
  }

  /** Sets the registers for syscall `nr` at `ip`, without running it (see stepOver). */
  load(nr: number, ip: bigint, ...args: Arg[]): void {
    this.tracee.setRegs(this.regsFor(nr, args, ip));
  }

  /** Runs the next syscall the task makes (nr, for messages) to its exit stop; its raw result. */
  stepOver(nr: number): bigint {
    this.tracee.stepSyscall(`entering ${syscallName(nr)} inside it`);
    this.tracee.stepSyscall(`leaving ${syscallName(nr)} inside it`);
    return signed(this.tracee.getRegs().ax);
  }
}
