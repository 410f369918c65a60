/** Process-wide attributes set by prctl and friends: comm, dumpable, THP, subreaper, personality, umask. */
import { SYS } from '../arch/x86_64/syscalls';
import * as fs from 'node:fs';
import { parseSmaps } from '../proc/maps';
import { parseStatus } from '../proc/status';
import { Injected } from './injected';
import { mutated } from '../mutant';
import type { ProgramCall } from '../arch/x86_64/syscall-program';
import { CallBatch } from './call-batch';
import { refuseFailedCalls, type Query } from './queries';

const PR_SET_DUMPABLE = 4;
const PR_GET_DUMPABLE = 3;
const PR_SET_NAME = 15;
const PR_SET_THP_DISABLE = 41;
const PR_GET_THP_DISABLE = 42;
const PR_SET_CHILD_SUBREAPER = 36;
const PR_GET_CHILD_SUBREAPER = 37;

export interface ProcessAttrs {
  brk: bigint;
  dumpable: number;
  thpDisabled: boolean;
  childSubreaper: boolean;
  /** mlockall(MCL_FUTURE) flags in force: MCL_FUTURE, with MCL_ONFAULT; 0 when none. */
  mlockFuture: number;
}

export const MCL_FUTURE = 2, MCL_ONFAULT = 4;

/**
 * Whether mlockall(MCL_FUTURE) is in force, which nothing reports: the scratch area was mapped by
 * an injected mmap after it, so the kernel locked it if it is (smaps VmFlags lo, lf).
 */
function futureLocking(pid: number, scratchAddr: bigint, lockedBefore?: string): number {
  // Locked memory that did not grow with the scratch area: no MCL_FUTURE, and no need to read
  // smaps again (a process of 10,000 mappings: 85 ms).
  if (lockedBefore !== undefined && lockedKb(pid) === lockedBefore) return 0;
  const vma = parseSmaps(fs.readFileSync(`/proc/${pid}/smaps`, 'utf8')).find((m) => m.start <= scratchAddr && scratchAddr < m.end);
  if (!vma?.vmFlags?.has('lo')) return 0;
  return MCL_FUTURE | (vma.vmFlags.has('lf') ? MCL_ONFAULT : 0);
}

/** VmLck of /proc/PID/status, as parseStatus gives it ("64 kB"); undefined when absent. */
function lockedKb(pid: number): string | undefined {
  return parseStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).get('VmLck');
}

/**
 * brk, dumpable, THP and subreaper by injected calls; MCL_FUTURE from /proc once they ran
 * (`lockedBefore`: VmLck before the scratch area was mapped, the ProcStatus of the snapshot).
 */
export function processAttrsQuery(pid: number, scratch: bigint, lockedBefore?: string): Query<ProcessAttrs> {
  return {
    bytes: 4,
    calls: (at) => [
      { nr: SYS.brk, args: [0] },
      { nr: SYS.prctl, args: [PR_GET_DUMPABLE] },
      { nr: SYS.prctl, args: [PR_GET_THP_DISABLE] },
      { nr: SYS.prctl, args: [PR_GET_CHILD_SUBREAPER, at] },
    ],
    read: (results, b) => {
      const names = ['brk', 'prctl(PR_GET_DUMPABLE)', 'prctl(PR_GET_THP_DISABLE)', 'prctl(PR_GET_CHILD_SUBREAPER)'];
      refuseFailedCalls(results, (i) => names[i], pid);
      const [brk, dumpable, thp] = results;
      return { brk, dumpable: Number(dumpable), thpDisabled: thp !== 0n, childSubreaper: b.readInt32LE(0) !== 0, mlockFuture: futureLocking(pid, scratch, lockedBefore) };
    },
  };
}

/** The call that names a thread, added to batch `b`. */
export function addComm(b: CallBatch, comm: string): void {
  b.call(SYS.prctl, PR_SET_NAME, b.put(Buffer.from(comm.slice(0, 15) + '\0', 'utf8')));
}

export function restoreComm(t: Injected, comm: string): void {
  const b = new CallBatch(t);
  addComm(b, comm);
  b.run();
}

export function restoreProcessAttrs(t: Injected, a: Omit<ProcessAttrs, 'brk'>, personality: number, umask: number): void {
  const calls: ProgramCall[] = [];
  // Every mapping exists by now; MCL_FUTURE alone locks only the ones to come.
  if (a.mlockFuture && !mutated('skip-mlock')) calls.push({ nr: SYS.mlockall, args: [a.mlockFuture] });
  if (a.thpDisabled) calls.push({ nr: SYS.prctl, args: [PR_SET_THP_DISABLE, 1, 0, 0, 0] });
  if (a.childSubreaper) calls.push({ nr: SYS.prctl, args: [PR_SET_CHILD_SUBREAPER, 1] });
  calls.push({ nr: SYS.personality, args: [personality] }, { nr: SYS.umask, args: [umask] });
  // Last: dumpable 0 would forbid our own later ptrace and /proc/PID/mem access on some paths.
  if (a.dumpable !== 1) calls.push({ nr: SYS.prctl, args: [PR_SET_DUMPABLE, a.dumpable] });
  t.remote.callBatch(calls);
}
