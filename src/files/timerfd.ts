/**
 * timerfd (timerfd_entry): clock, expirations not yet read (ticks), settime flags, time left
 * and interval; remade in the restorer with timerfd_create + timerfd_settime, and the count
 * put back with TFD_IOC_SET_TICKS.
 *
 * Dump. fdinfo alone is not enough: once a periodic timer fires, the kernel stops it until
 * someone reads it or asks timerfd_gettime, and fdinfo then shows `ticks: 1` and a value of 0
 * whatever the number of periods that went by (CRIU restores that disarmed). So the dumper
 * first asks timerfd_gettime on its duplicate of the fd, which brings the count and the next
 * expiry up to date exactly as the task's own next read would, and brackets that call with
 * readings of the timer's clock: `amber_clock_ns` is when the time left was true. The count
 * is then read from fdinfo; should the timer fire in between, it is read again.
 *
 * Restore. The timer's clock went on during the checkpoint, and so does the timer: its next
 * expiry is amber_clock_ns + the time left, on its own clock. One still ahead is armed for
 * exactly then (absolute for a TFD_TIMER_ABSTIME timer, so its absolute expiry is kept; the
 * time still left for a relative one). One that passed counts as an expiration, as do the
 * periods of a periodic timer that passed after it, and the timer is armed for its next period
 * in phase; a one-shot one is left fired (readable, disarmed), never armed with 0, which would
 * disarm it without an expiration. timerfd_settime clears the count, so the count is set after
 * it; an expiry falling between the two would be lost, so the arming is redone when one might
 * have. Images without amber_clock_ns (CRIU's) are armed with the time left as at dump.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry } from '../images';
import { UnsupportedError } from '../errors';
import { parseFdinfo } from '../proc/fdinfo';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';
import { mutated } from '../mutant';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const TFD_NONBLOCK = O_NONBLOCK, TFD_CLOEXEC = O_CLOEXEC;
export const TFD_TIMER_ABSTIME = 1;
/** _IOW('T', 0, u64): sets the count of expirations not yet read (CONFIG_CHECKPOINT_RESTORE). */
export const TFD_IOC_SET_TICKS = 0x40085400;
const CLOCK_REALTIME = 0, CLOCK_BOOTTIME = 7, CLOCK_REALTIME_ALARM = 8, CLOCK_BOOTTIME_ALARM = 9;
const NS = 1_000_000_000n;
/** Attempts at a consistent reading (dump) or arming (restore) before taking the last one. */
const ATTEMPTS = 10;

/** The clock a timer's times are read on: the alarm clocks run as their base clocks. */
export function readingClock(clockid: number): number {
  if (clockid === CLOCK_REALTIME_ALARM) return CLOCK_REALTIME;
  if (clockid === CLOCK_BOOTTIME_ALARM) return CLOCK_BOOTTIME;
  return clockid;
}

export interface TimerfdInfo {
  clockid: number;
  ticks: bigint;
  settimeFlags: number;
  valueNs: bigint;
  intervalNs: bigint;
}

/** The timerfd rows of fdinfo: clockid, ticks, settime flags (octal), it_value and it_interval as (sec, nsec). */
export function parseTimerfdInfo(rows: Map<string, string>): TimerfdInfo | undefined {
  const pair = (name: string): bigint | undefined => {
    const m = /^\((\d+),\s*(\d+)\)$/.exec(rows.get(name) ?? '');
    return m ? BigInt(m[1]) * NS + BigInt(m[2]) : undefined;
  };
  const clockid = rows.get('clockid'), ticks = rows.get('ticks'), flags = rows.get('settime flags');
  const valueNs = pair('it_value'), intervalNs = pair('it_interval');
  if (!clockid || !/^\d+$/.test(clockid) || !ticks || !/^\d+$/.test(ticks) || !flags || !/^[0-7]+$/.test(flags)) return undefined;
  if (valueNs === undefined || intervalNs === undefined) return undefined;
  return { clockid: Number(clockid), ticks: BigInt(ticks), settimeFlags: parseInt(flags, 8), valueNs, intervalNs };
}

function readFdinfoRows(path: string): Map<string, string> {
  return parseFdinfo(fs.readFileSync(path, 'utf8')).rows;
}

/** The timer's state at one instant: `clockNs` on its clock, when `valueNs` was the time left. */
export interface TimerReading extends TimerfdInfo {
  clockNs: bigint;
}

/** Reads a timer through fd, the dumper's duplicate of it (see the module comment). */
export function readTimer(fd: number, what: () => UnsupportedError): TimerReading {
  const first = parseTimerfdInfo(readFdinfoRows(`/proc/self/fdinfo/${fd}`));
  if (!first) throw what();
  const clock = readingClock(first.clockid);
  for (let attempt = 1; ; attempt++) {
    const t0 = native.clockGettime(clock);
    const [valueNs, intervalNs] = native.timerfdGettime(fd);
    const t1 = native.clockGettime(clock);
    const info = parseTimerfdInfo(readFdinfoRows(`/proc/self/fdinfo/${fd}`));
    const t2 = native.clockGettime(clock);
    if (!info) throw what();
    const clockNs = t0 + (t1 - t0) / 2n;
    // The count is that of the gettime unless the timer fired again before fdinfo was read.
    if (valueNs === 0n || t2 < clockNs + valueNs || attempt >= ATTEMPTS) {
      return { ...info, valueNs, intervalNs, clockNs };
    }
  }
}

/** How to arm a restored timer at `nowNs` (its clock), and the count it must then show. */
export interface TimerPlan {
  settimeFlags: number;
  /** For timerfd_settime: absolute with TFD_TIMER_ABSTIME, else relative to nowNs; 0n: disarmed. */
  valueNs: bigint;
  intervalNs: bigint;
  ticks: bigint;
  /** When the armed timer fires next, on its clock; undefined when it is not armed. */
  nextNs?: bigint;
}

export function planTimer(e: Entry, nowNs: bigint): TimerPlan {
  const settimeFlags = e.settime_flags;
  const intervalNs = BigInt(e.isec) * NS + BigInt(e.insec);
  let valueNs = BigInt(e.vsec) * NS + BigInt(e.vnsec);
  let ticks = BigInt(e.ticks);
  let dumpedAt = e.amber_clock_ns !== undefined && e.amber_clock_ns !== null ? BigInt(e.amber_clock_ns) : nowNs;
  if (valueNs === 0n) {
    // Disarmed (an interval may be stored all the same), or a one-shot timer that fired.
    if (intervalNs === 0n || ticks === 0n) return { settimeFlags, valueNs: 0n, intervalNs, ticks };
    // A periodic timer as fdinfo shows it before its expiry is read (what CRIU dumps): its
    // phase is lost, so its next expiry is taken one period after the restore.
    valueNs = intervalNs;
    dumpedAt = nowNs;
  }
  // A clock behind the reading (a restore after a reboot, a realtime clock set back): a relative
  // timer gets the time it had left; an absolute one keeps its expiry.
  if (dumpedAt > nowNs && !(settimeFlags & TFD_TIMER_ABSTIME)) dumpedAt = nowNs;
  let next = dumpedAt + valueNs;
  if (next <= nowNs) {
    // It fired during the checkpoint.
    if (intervalNs === 0n) return { settimeFlags, valueNs: 0n, intervalNs, ticks: ticks + 1n };
    const periods = (nowNs - next) / intervalNs + 1n;
    ticks += periods;
    next += periods * intervalNs;
  }
  return { settimeFlags, valueNs: settimeFlags & TFD_TIMER_ABSTIME ? next : next - nowNs, intervalNs, ticks, nextNs: next };
}

/** Arms fd as planned at the time of arming, and sets its count (see the module comment). */
export function armTimer(fd: number, e: Entry): TimerPlan {
  const clock = readingClock(e.clockid);
  for (let attempt = 1; ; attempt++) {
    const plan = planTimer(e, native.clockGettime(clock));
    native.timerfdSettime(fd, plan.settimeFlags, plan.valueNs, plan.intervalNs);
    if (plan.ticks > 0n && !mutated('skip-timerfd-ticks')) native.ioctlSetU64(fd, TFD_IOC_SET_TICKS, plan.ticks);
    if (plan.ticks === 0n || plan.nextNs === undefined || native.clockGettime(clock) < plan.nextNs || attempt >= ATTEMPTS) return plan;
  }
}

export const timerfd: FileKind = {
  name: 'timerfd',
  type: FdType.TIMERFD,
  matches: (f: OpenFd) => f.link === 'anon_inode:[timerfd]',
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    const fd = f.pid === process.pid ? f.fd : ctx.grabFd(f.pid, f.fd);
    const t = readTimer(fd, () => new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'fdinfo has no timerfd state this amber can read'));
    ctx.log.debug(`timerfd ${f.pid}/${f.fd}: clock ${t.clockid}, ${t.ticks} unread, value ${t.valueNs} ns, interval ${t.intervalNs} ns, settime flags ${t.settimeFlags}, at ${t.clockNs}`);
    return {
      type: FdType.TIMERFD, id,
      tfd: {
        id, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, clockid: t.clockid, ticks: t.ticks, settime_flags: t.settimeFlags,
        vsec: t.valueNs / NS, vnsec: t.valueNs % NS, isec: t.intervalNs / NS, insec: t.intervalNs % NS,
        ...(t.clockNs >= 0n ? { amber_clock_ns: t.clockNs } : {}),
      },
    };
  },
  open(entry: Entry, ctx: FileRestoreContext) {
    const e = entry.tfd;
    const fd = native.timerfdCreate(e.clockid, TFD_CLOEXEC | (e.flags & O_NONBLOCK ? TFD_NONBLOCK : 0));
    try {
      const plan = armTimer(fd, e);
      ctx.log.debug(`timerfd ${entry.id}: armed ${plan.valueNs} ns${plan.settimeFlags & TFD_TIMER_ABSTIME ? ' (absolute)' : ''}, interval ${plan.intervalNs} ns, ${plan.ticks} unread`);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
    return { fd };
  },
};
