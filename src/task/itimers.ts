/** Interval timers ITIMER_REAL/VIRTUAL/PROF (core's task_timers_entry): getitimer/setitimer inside the task. */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
import { refuseFailedCalls, type Query } from './queries';

export interface ItimerEntry { isec: bigint; iusec: bigint; vsec: bigint; vusec: bigint }
export interface ItimersEntry { real: ItimerEntry; virt: ItimerEntry; prof: ItimerEntry }

const WHICH = { real: 0, virt: 1, prof: 2 } as const;

export const itimersQuery: Query<ItimersEntry> = {
  bytes: 96,
  // The three in one batch, each into its own 32 bytes.
  calls: (at) => [WHICH.real, WHICH.virt, WHICH.prof].map((which) => ({ nr: SYS.getitimer, args: [which, at + BigInt(32 * which)] })),
  read: (results, b) => {
    refuseFailedCalls(results, (which) => `getitimer(${which})`);
    const at = (which: number): ItimerEntry => {
      const o = 32 * which;
      return { isec: b.readBigUInt64LE(o), iusec: b.readBigUInt64LE(o + 8), vsec: b.readBigUInt64LE(o + 16), vusec: b.readBigUInt64LE(o + 24) };
    };
    return { real: at(WHICH.real), virt: at(WHICH.virt), prof: at(WHICH.prof) };
  },
};

export function restoreItimers(t: Injected, e: ItimersEntry): void {
  for (const [name, which] of Object.entries(WHICH) as [keyof ItimersEntry, number][]) {
    const v = e[name];
    if (v.isec === 0n && v.iusec === 0n && v.vsec === 0n && v.vusec === 0n) continue;
    const b = Buffer.alloc(32);
    b.writeBigUInt64LE(v.isec, 0); b.writeBigUInt64LE(v.iusec, 8);
    // A periodic ITIMER_REAL that fired while the task was frozen reads 0 until its SIGALRM (dumped
    // as pending) is dequeued; setting 0 would disarm it, so it restarts from a full interval.
    const expired = v.vsec === 0n && v.vusec === 0n;
    b.writeBigUInt64LE(expired ? v.isec : v.vsec, 16);
    b.writeBigUInt64LE(expired ? v.iusec : v.vusec, 24);
    t.mem.write(t.data, b);
    t.remote.call(SYS.setitimer, which, t.data, 0);
  }
}
