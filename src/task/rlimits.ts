/** Resource limits (core's task_rlimits_entry): prlimit64 inside the task, both ways. */
import * as fs from 'node:fs';
import { SYS } from '../arch/x86_64/syscalls';
import { isErrorResult } from '../compel/remote-syscalls';
import { Logger } from '../log';
import { Injected } from './injected';
import { mutated } from '../mutant';

export const RLIM_NLIMITS = 16;
const RLIMIT_NAMES = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];

export interface RlimitEntry { cur: bigint; max: bigint }

const RLIM_INFINITY = 0xffffffffffffffffn;

/** /proc/PID/limits, in RLIMIT_* order: the same numbers prlimit gives, with no syscall injected. */
export function readProcLimits(pid: number): RlimitEntry[] {
  const rows = fs.readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').slice(1).filter(Boolean);
  const val = (v: string) => (v === 'unlimited' ? RLIM_INFINITY : BigInt(v));
  const out = rows.map((row) => {
    const m = /^.{26}(\S+)\s+(\S+)/.exec(row);
    if (!m) throw new Error(`unparsable /proc/${pid}/limits row: ${row}`);
    return { cur: val(m[1]), max: val(m[2]) };
  });
  if (out.length !== RLIM_NLIMITS) throw new Error(`/proc/${pid}/limits has ${out.length} limits, expected ${RLIM_NLIMITS}`);
  return out;
}

/**
 * Sets each limit. Without CAP_SYS_RESOURCE a hard limit cannot rise above the restorer's own:
 * such a limit is set as high as allowed and reported, rather than failing the restore.
 */
export function restoreRlimits(t: Injected, entries: RlimitEntry[], log: Logger, current?: RlimitEntry[]): void {
  if (mutated('skip-rlimits')) return;
  entries.forEach((e, r) => {
    if (r >= RLIM_NLIMITS) return;
    if (current && current[r].cur === e.cur && current[r].max === e.max) return;
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(e.cur, 0);
    b.writeBigUInt64LE(e.max, 8);
    t.mem.write(t.data, b);
    const res = t.remote.raw(SYS.prlimit64, 0, r, t.data, 0);
    if (!isErrorResult(res)) return;
    t.remote.call(SYS.prlimit64, 0, r, 0, t.data);
    const cur = t.mem.read(t.data, 16);
    const hard = cur.readBigUInt64LE(8);
    b.writeBigUInt64LE(e.cur < hard ? e.cur : hard, 0);
    b.writeBigUInt64LE(hard, 8);
    t.mem.write(t.data, b);
    t.remote.call(SYS.prlimit64, 0, r, t.data, 0);
    log.warn(`RLIMIT_${RLIMIT_NAMES[r]}: hard limit ${e.max} is above what this restorer may set; kept ${hard}`);
  });
}
