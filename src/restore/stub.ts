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
import { PTRACE_O_EXITKILL, PTRACE_O_TRACESYSGOOD, RemoteSyscalls, SCRATCH_SIZE, TaskMemory, Tracee } from '../compel';
import { SCRATCH_DATA_OFFSET } from '../compel/infect';
import { __WALL, decodeWaitStatus, describeWaitStatus, SIGKILL, SIGSTOP } from '../compel/wait-status';
import { Injected } from '../task/injected';
import { parseMaps } from '../proc/maps';

const EEXIST = 17;
const PID_WAIT_MS = 5000;

export class Stub implements Injected {
  readonly remote: RemoteSyscalls;
  readonly mem: TaskMemory;
  readonly data: bigint;
  readonly dataSize = SCRATCH_SIZE - SCRATCH_DATA_OFFSET;

  private constructor(readonly tracee: Tracee, readonly scratch: bigint) {
    this.remote = new RemoteSyscalls(tracee, scratch, tracee.getRegs());
    this.mem = new TaskMemory(tracee.pid);
    this.data = scratch + BigInt(SCRATCH_DATA_OFFSET);
  }

  get pid(): number {
    return this.tracee.pid;
  }

  /**
   * Creates the stub with PID `pid`. A PID still held by a zombie of the dumped task (its parent
   * or init has not reaped it yet) is waited for, a few seconds at most.
   */
  static create(pid: number, scratch: bigint, log: Logger): Stub {
    const deadline = Date.now() + PID_WAIT_MS;
    let child: number;
    for (;;) {
      try {
        child = native.cloneStub([pid], scratch, SCRATCH_SIZE, SYSCALL_GADGET);
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
      const why = st.kind === 'exited' && st.code === 100 ? 'could not map its scratch area' : describeWaitStatus(st);
      throw new AmberError(`restore stub ${child} did not start: ${why}`);
    }
    const tracee = new Tracee(child);
    try {
      tracee.setOptions(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD);
      tracee.setSigmask(~0n);
      return new Stub(tracee, scratch);
    } catch (e) {
      native.kill(child, SIGKILL);
      native.waitpid(child, __WALL);
      throw e;
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
