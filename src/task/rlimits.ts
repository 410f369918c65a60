/** Resource limits (core's task_rlimits_entry): prlimit64 inside the task, both ways. */
import { SYS } from '../arch/x86_64/syscalls';
import { isErrorResult } from '../compel/remote-syscalls';
import { Logger } from '../log';
import { Injected } from './injected';

export const RLIM_NLIMITS = 16;
const RLIMIT_NAMES = ['CPU', 'FSIZE', 'DATA', 'STACK', 'CORE', 'RSS', 'NPROC', 'NOFILE', 'MEMLOCK', 'AS', 'LOCKS', 'SIGPENDING', 'MSGQUEUE', 'NICE', 'RTPRIO', 'RTTIME'];

export interface RlimitEntry { cur: bigint; max: bigint }

export function dumpRlimits(t: Injected): RlimitEntry[] {
  const out: RlimitEntry[] = [];
  for (let r = 0; r < RLIM_NLIMITS; r++) {
    t.remote.call(SYS.prlimit64, 0, r, 0, t.data);
    const b = t.mem.read(t.data, 16);
    out.push({ cur: b.readBigUInt64LE(0), max: b.readBigUInt64LE(8) });
  }
  return out;
}

/**
 * Sets each limit. Without CAP_SYS_RESOURCE a hard limit cannot rise above the restorer's own:
 * such a limit is set as high as allowed and reported, rather than failing the restore.
 */
export function restoreRlimits(t: Injected, entries: RlimitEntry[], log: Logger): void {
  entries.forEach((e, r) => {
    if (r >= RLIM_NLIMITS) return;
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
