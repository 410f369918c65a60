/**
 * The stub a task is restored into: a clone3 child of the restorer with the dumped PID, which
 * maps a scratch area holding the syscall gadget and stops itself. Everything else is done to it
 * by injected syscalls; on any failure it is killed (PTRACE_O_EXITKILL covers a dying restorer).
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { SYSCALL_GADGET } from '../arch/x86_64/regs';
import { AmberError, SysError } from '../errors';
import { Logger } from '../log';
import { PTRACE_O_EXITKILL, PTRACE_O_SUSPEND_SECCOMP, PTRACE_O_TRACESYSGOOD, RemoteSyscalls, SCRATCH_SIZE, TaskMemory, Tracee } from '../compel';
import { SYS } from '../arch/x86_64/syscalls';
import { scratchData, scratchProgram } from '../compel/infect';
import { __WALL, decodeWaitStatus, describeWaitStatus, INJECTION_SIGMASK, SIGKILL, SIGSTOP } from '../compel/wait-status';
import { Injected } from '../task/injected';
import { parseMaps } from '../proc/maps';
import { CallBatch } from '../task/call-batch';
import { isErrorResult } from '../compel/remote-syscalls';

const EEXIST = 17;
const PTRACE_O_TRACEFORK = 0x2;
const PTRACE_O_TRACECLONE = 0x8;
const STUB_OPTIONS = PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_SUSPEND_SECCOMP;
const CLONE_VM = 0x100n, CLONE_FS = 0x200n, CLONE_FILES = 0x400n, CLONE_SIGHAND = 0x800n, CLONE_THREAD = 0x10000n, CLONE_SYSVSEM = 0x40000n;
export const CLONE_THREAD_FLAGS = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
const SIGCHLD = 17;
const CLONE_ARGS_SIZE = 88;
/** Tasks cloned in one batch (each takes 192 bytes of the data buffer). */
const CLONES_PER_BATCH = 64;
const PID_WAIT_MS = 5000;

/** The stub could not map its scratch area there: the restorer itself had just mapped memory at it. */
export class ScratchBusyError extends AmberError {
  constructor(readonly pid: number, readonly scratch: bigint) {
    super(`restore stub ${pid} did not start: could not map its scratch area at 0x${scratch.toString(16)}`);
  }
}

export class Stub implements Injected {
  readonly remote: RemoteSyscalls;
  readonly mem: TaskMemory;
  readonly data: bigint;
  readonly dataSize: number;

  private constructor(readonly tracee: Tracee, readonly scratch: bigint) {
    this.mem = new TaskMemory(tracee.pid);
    this.remote = new RemoteSyscalls(tracee, scratch, tracee.getRegs(), scratchProgram(this.mem, scratch));
    ({ data: this.data, dataSize: this.dataSize } = scratchData(scratch));
  }

  get pid(): number {
    return this.tracee.pid;
  }

  /**
   * Creates the stub with PID `pid`. A PID still held by a zombie of the dumped task (its parent
   * or init has not reaped it yet) is waited for, a few seconds at most. sibling: the stub is a
   * child of amber's parent (CLONE_PARENT; CRIU's restore as sibling), traced all the same.
   */
  static create(pid: number, scratch: bigint, log: Logger, sibling = false): Stub {
    const deadline = Date.now() + PID_WAIT_MS;
    let child: number;
    for (;;) {
      try {
        child = native.cloneStub([pid], scratch, SCRATCH_SIZE, SYSCALL_GADGET, sibling);
        break;
      } catch (e) {
        if (!(e instanceof SysError) || e.errno !== EEXIST || Date.now() > deadline) {
          if (e instanceof SysError && e.errno === EEXIST) throw new AmberError(`PID ${pid} is in use by another process (${describePid(pid)}): cannot restore task ${pid}`);
          throw e;
        }
        log.debug(`PID ${pid} still in use (${describePid(pid)}), waiting`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    const [, raw] = native.waitpid(child, __WALL);
    const st = decodeWaitStatus(raw);
    if (st.kind !== 'stopped' || st.signal !== SIGSTOP) {
      if (st.kind === 'stopped') { native.kill(child, SIGKILL); native.waitpid(child, __WALL); }
      if (st.kind === 'exited' && st.code === 100) throw new ScratchBusyError(child, scratch);
      const why = describeWaitStatus(st);
      throw new AmberError(`restore stub ${child} did not start: ${why}`);
    }
    const tracee = new Tracee(child);
    try {
      tracee.setOptions(STUB_OPTIONS);
      tracee.setSigmask(INJECTION_SIGMASK);
      return new Stub(tracee, scratch);
    } catch (e) {
      native.kill(child, SIGKILL);
      native.waitpid(child, __WALL);
      throw e;
    }
  }

  /**
   * Injects clone3 with set_tid = [id]: a child process (flags 0) or a thread (CLONE_THREAD_FLAGS).
   * The new task starts as a copy of this one at the gadget, stopped by the tracer's auto-attach.
   */
  clone(id: number, flags: bigint): Stub {
    const out: Stub[] = [];
    this.cloneEach([id], flags, out);
    return out[0];
  }

  /** The threads `ids` of this stub's process, appended to `out` as each comes into being. */
  cloneThreads(ids: readonly number[], out: Stub[]): void {
    this.cloneEach(ids, CLONE_THREAD_FLAGS, out);
  }

  /**
   * clone3 with set_tid = [id] for each id, in batches of injected calls (one stop for many: a
   * new task is stopped at birth by the tracer's auto-attach, so it never runs on into the rest
   * of the batch; its registers are set before it runs a byte). Every task that came into being
   * is in `out` before a failure is thrown, so that none is left unaccounted for.
   */
  private cloneEach(ids: readonly number[], flags: bigint, out: Stub[]): void {
    const what = flags & CLONE_THREAD ? { id: 'thread id', task: 'thread' } : { id: 'PID', task: 'task' };
    for (let at = 0; at < ids.length; at += CLONES_PER_BATCH) {
      const chunk = ids.slice(at, at + CLONES_PER_BATCH);
      const b = new CallBatch(this);
      for (const id of chunk) {
        const tid = Buffer.alloc(8);
        tid.writeInt32LE(id, 0);
        const args = Buffer.alloc(CLONE_ARGS_SIZE);
        args.writeBigUInt64LE(flags, 0);
        args.writeBigUInt64LE(flags & CLONE_THREAD ? 0n : BigInt(SIGCHLD), 32);
        args.writeBigUInt64LE(b.put(tid), 64);
        args.writeBigUInt64LE(1n, 72);
        b.call(SYS.clone3, b.put(args), CLONE_ARGS_SIZE);
      }
      const results = this.remote.rawBatch(b.calls);
      b.discard();
      let failure: Error | undefined;
      results.forEach((r, i) => {
        const id = chunk[i];
        if (isErrorResult(r)) {
          // Without a pid namespace of its own the tree's ids are the host's: another task (a
          // thread of this very amber, even) may hold one by now.
          failure ??= -r === BigInt(EEXIST)
            ? new AmberError(`${what.id} ${id} is in use by another task (${describeHolder(id)}): cannot restore ${what.task} ${id} of ${this.pid}`)
            : new SysError(Number(-r), `clone3 of ${what.task} ${id} (inside the task)`, this.pid);
          return;
        }
        // (set_tid makes this impossible.) Adopted all the same, so the caller's clean-up kills
        // it: a task left unwaited-for in its birth stop held the restore up for good.
        if (Number(r) !== id) {
          failure ??= new AmberError(`clone3 inside ${this.pid} gave ${r}, not ${id}`);
          try { out.push(this.adopt(Number(r), flags)); } catch { /* adopt killed it */ }
          return;
        }
        try {
          out.push(this.adopt(id, flags));
        } catch (e) {
          failure ??= e as Error;
        }
      });
      if (failure) throw failure;
    }
  }

  /** A task this stub just cloned, once stopped by the auto-attach, as a stub of its own. */
  private adopt(got: number, flags: bigint): Stub {
    const child = new Tracee(got);
    try {
      child.waitFor(`starting ${flags & CLONE_THREAD ? 'thread' : 'child'} ${got}`, (st) => st.signal === SIGSTOP || st.event !== 0);
      child.setOptions(STUB_OPTIONS);
      return new Stub(child, this.scratch);
    } catch (e) {
      try { native.kill(got, SIGKILL); } catch { /* gone */ }
      throw e;
    }
  }

  /**
   * Runs exit_group(code) in the stub. The tracer's wait sees the exit first; the task then stays
   * a zombie for its real parent, as a dumped zombie was.
   */
  exitWith(code: number): void {
    this.mem.close();
    const regs = this.tracee.getRegs();
    this.tracee.setRegs({ ...regs, ip: this.scratch, ax: BigInt(SYS.exit_group), di: BigInt(code), orig_ax: BigInt.asUintN(64, -1n) });
    native.ptraceCont(this.pid, 0);
    for (;;) {
      const st = decodeWaitStatus(native.waitpid(this.pid, __WALL)[1]);
      if (st.kind === 'exited' || st.kind === 'signaled') return;
      native.ptraceCont(this.pid, 0);
    }
  }

  /** Kills the stub and reaps it: a failed restore leaves nothing behind. */
  kill(): void {
    try { this.mem.close(); } catch { /* closed */ }
    try {
      native.kill(this.pid, SIGKILL);
      native.waitpid(this.pid, __WALL);
    } catch { /* already gone */ }
  }
}

/** Who holds an id: the process it is a thread of, and its name. */
function describeHolder(tid: number): string {
  try {
    const st = fs.readFileSync(`/proc/${tid}/status`, 'utf8');
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(st)?.[1] ?? '?';
    return `thread of process ${field('Tgid')} (${field('Name')}), ${describePid(tid)}`;
  } catch {
    return 'gone now';
  }
}

function describePid(pid: number): string {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = st.slice(st.lastIndexOf(')') + 2).split(' ')[0];
    return state === 'Z' ? 'a zombie not reaped yet' : `state ${state}`;
  } catch {
    return 'gone now';
  }
}

/** A scratch address free both in the restorer (the stub starts as its copy) and in the dumped layout. */
export function pickScratch(dumped: { start: bigint; end: bigint }[]): bigint {
  const busy = [...parseMaps(fs.readFileSync('/proc/self/maps', 'utf8')), ...dumped]
    .map((m) => [m.start, m.end] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const size = BigInt(SCRATCH_SIZE);
  // Prefer low addresses, above the usual executable load area, below the mmap area.
  let candidate = 0x10000000n;
  for (const [s, e] of busy) {
    if (candidate + size <= s) break;
    if (e > candidate) candidate = e;
  }
  if (candidate + size > 0x7ffffffff000n) throw new AmberError('no free address range for the restore scratch area');
  return candidate;
}
