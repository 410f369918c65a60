/**
 * POSIX timers (task_timers_entry.posix): /proc/PID/timers names them, injected timer_gettime
 * reads their times; at restore PR_TIMER_CREATE_RESTORE_IDS (Linux 6.13+) lets timer_create take
 * the dumped id. Overruns pending at dump are not carried (the kernel has no way to set them).
 */
import * as fs from 'node:fs';
import { SYS } from '../arch/x86_64/syscalls';
import { UnsupportedError } from '../errors';
import { Injected } from './injected';
import { refuseFailedCalls, type Query } from './queries';

const SYS_timer_create = 222, SYS_timer_settime = 223, SYS_timer_gettime = 224, SYS_timer_getoverrun = 225;
const PR_TIMER_CREATE_RESTORE_IDS = 77;
const NOTIFY: Record<string, number> = { signal: 0, none: 1, thread: 4 };
const SIGEV_THREAD_ID = 4;

export interface PosixTimerEntry {
  it_id: number; clock_id: number; si_signo: number; it_sigev_notify: number; sival_ptr: bigint;
  overrun: number; isec: bigint; insec: bigint; vsec: bigint; vnsec: bigint; notify_thread_id?: number;
}

/** Parses /proc/PID/timers (ID, signal: signo/sival_ptr, notify: kind/pid.N or tid.N, ClockID). */
export function parseProcTimers(text: string, pid: number): Omit<PosixTimerEntry, 'overrun' | 'isec' | 'insec' | 'vsec' | 'vnsec'>[] {
  const out: Omit<PosixTimerEntry, 'overrun' | 'isec' | 'insec' | 'vsec' | 'vnsec'>[] = [];
  let cur: Partial<PosixTimerEntry> = {};
  for (const line of text.split('\n')) {
    const [key, value] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()];
    if (key === 'ID') cur = { it_id: Number(value) };
    else if (key === 'signal') {
      const [signo, ptr] = value.split('/');
      cur.si_signo = Number(signo);
      cur.sival_ptr = BigInt('0x' + ptr);
    } else if (key === 'notify') {
      const [kind, who] = value.split('/');
      if (!(kind in NOTIFY)) throw new UnsupportedError(pid, `POSIX timer ${cur.it_id}`, `notification "${kind}" not supported`);
      cur.it_sigev_notify = NOTIFY[kind];
      if (kind === 'thread') cur.notify_thread_id = Number(who.replace(/^tid\./, ''));
    } else if (key === 'ClockID') {
      cur.clock_id = Number(value);
      out.push(cur as PosixTimerEntry);
    }
  }
  return out;
}

/** The process's POSIX timers (/proc/PID/timers), each asked its time and overrun count. */
export function posixTimersQuery(pid: number): Query<PosixTimerEntry[]> {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/timers`, 'utf8');
  } catch {
    text = '';
  }
  const timers = text ? parseProcTimers(text, pid) : [];
  return {
    bytes: 32 * timers.length,
    calls: (at) => timers.flatMap((p, i) => [
      { nr: SYS_timer_gettime, args: [p.it_id, at + BigInt(32 * i)] },
      { nr: SYS_timer_getoverrun, args: [p.it_id] },
    ]),
    read: (results, b) => {
      refuseFailedCalls(results, (i) => `${i % 2 ? 'timer_getoverrun' : 'timer_gettime'}(${timers[i >> 1].it_id})`, pid);
      return timers.map((p, i) => {
        const o = 32 * i;
        return { ...p, overrun: Number(results[2 * i + 1]), isec: b.readBigInt64LE(o), insec: b.readBigInt64LE(o + 8), vsec: b.readBigInt64LE(o + 16), vnsec: b.readBigInt64LE(o + 24) };
      });
    },
  };
}

export function restorePosixTimers(t: Injected, pid: number, timers: PosixTimerEntry[]): void {
  if (timers.length === 0) return;
  t.remote.call(SYS.prctl, PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0);
  try {
    for (const p of timers) {
      // struct sigevent: value, signo, notify, then the thread id for SIGEV_THREAD_ID.
      const se = Buffer.alloc(64);
      se.writeBigUInt64LE(p.sival_ptr, 0);
      se.writeInt32LE(p.si_signo, 8);
      se.writeInt32LE(p.it_sigev_notify, 12);
      if (p.it_sigev_notify === SIGEV_THREAD_ID) se.writeInt32LE(p.notify_thread_id ?? pid, 16);
      const id = Buffer.alloc(4);
      id.writeInt32LE(p.it_id, 0);
      t.mem.write(t.data, se);
      t.mem.write(t.data + 64n, id);
      t.remote.call(SYS_timer_create, p.clock_id, t.data, t.data + 64n);
      const got = t.mem.read(t.data + 64n, 4).readInt32LE(0);
      if (got !== p.it_id) throw new Error(`timer_create gave id ${got}, not ${p.it_id}`);
      if (p.vsec === 0n && p.vnsec === 0n) continue;
      const its = Buffer.alloc(32);
      its.writeBigInt64LE(p.isec, 0); its.writeBigInt64LE(p.insec, 8);
      its.writeBigInt64LE(p.vsec, 16); its.writeBigInt64LE(p.vnsec, 24);
      t.mem.write(t.data, its);
      t.remote.call(SYS_timer_settime, p.it_id, 0, t.data, 0);
    }
  } finally {
    t.remote.call(SYS.prctl, PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0, 0);
  }
}
