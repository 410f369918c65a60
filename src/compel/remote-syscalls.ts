/**
 * Runs syscalls inside a stopped task: registers set to the arguments, IP at a `syscall; int3`
 * gadget in the task's scratch area, continue, read the result at the SIGTRAP.
 */
import { SysError } from '../errors';
import { GpRegs, signed } from '../arch/x86_64/regs';
import { syscallName } from '../arch/x86_64/syscalls';
import { Tracee } from './tracee';

export type Arg = number | bigint;

const NO_SYSCALL = BigInt.asUintN(64, -1n);

export function isErrorResult(r: bigint): boolean {
  return r < 0n && r >= -4095n;
}

export class RemoteSyscalls {
  /**
   * @param base registers the task had (segment registers, fs_base) to run the calls with
   * @param gadget address of `syscall; int3` in the task
   */
  constructor(readonly tracee: Tracee, readonly gadget: bigint, private readonly base: GpRegs) {}

  private regsFor(nr: number, args: Arg[], ip: bigint): GpRegs {
    const a = (i: number) => BigInt.asUintN(64, BigInt(args[i] ?? 0));
    // orig_ax = -1 keeps the kernel's syscall-restart logic away from our registers.
    return { ...this.base, ip, ax: BigInt(nr), orig_ax: NO_SYSCALL, di: a(0), si: a(1), dx: a(2), r10: a(3), r8: a(4), r9: a(5) };
  }

  /** The raw result: a value or a negative errno. */
  raw(nr: number, ...args: Arg[]): bigint {
    this.tracee.setRegs(this.regsFor(nr, args, this.gadget));
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
    this.tracee.setRegs(this.regsFor(nr, args, ip));
    this.tracee.stepSyscall(`entering ${syscallName(nr)} inside it`);
    this.tracee.stepSyscall(`leaving ${syscallName(nr)} inside it`);
    return signed(this.tracee.getRegs().ax);
  }
}
