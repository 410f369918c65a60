/** Process-wide attributes set by prctl and friends: comm, dumpable, THP, subreaper, personality, umask. */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected, putString } from './injected';

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
}

export function dumpProcessAttrs(t: Injected): ProcessAttrs {
  const brk = t.remote.call(SYS.brk, 0);
  const dumpable = Number(t.remote.call(SYS.prctl, PR_GET_DUMPABLE));
  const thpDisabled = t.remote.call(SYS.prctl, PR_GET_THP_DISABLE) !== 0n;
  t.remote.call(SYS.prctl, PR_GET_CHILD_SUBREAPER, t.data);
  const childSubreaper = t.mem.read(t.data, 4).readInt32LE(0) !== 0;
  return { brk, dumpable, thpDisabled, childSubreaper };
}

export function restoreComm(t: Injected, comm: string): void {
  t.remote.call(SYS.prctl, PR_SET_NAME, putString(t, comm.slice(0, 15)));
}

export function restoreProcessAttrs(t: Injected, a: Omit<ProcessAttrs, 'brk'>, personality: number, umask: number): void {
  if (a.thpDisabled) t.remote.call(SYS.prctl, PR_SET_THP_DISABLE, 1, 0, 0, 0);
  if (a.childSubreaper) t.remote.call(SYS.prctl, PR_SET_CHILD_SUBREAPER, 1);
  t.remote.call(SYS.personality, personality);
  t.remote.call(SYS.umask, umask);
  // Last: dumpable 0 would forbid our own later ptrace and /proc/PID/mem access on some paths.
  if (a.dumpable !== 1) t.remote.call(SYS.prctl, PR_SET_DUMPABLE, a.dumpable);
}
