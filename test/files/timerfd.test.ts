/**
 * timerfd: the fdinfo parser, the restore plan (expirations during the checkpoint, phase,
 * absolute expiry, CRIU's images without a clock reading) and, on real timers, that reading a
 * timer and arming a new one from the reading gives the same count and next expiry.
 * Imports the build (dist/), as the native addon loads only from there.
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { TFD_TIMER_ABSTIME, armTimer, parseTimerfdInfo, planTimer, readTimer } from '../../dist/src/files/timerfd';
import { UnsupportedError } from '../../dist/src/errors';

const MS = 1_000_000n, S = 1_000_000_000n;
const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1;

function entry(o: { value: bigint; interval: bigint; ticks?: bigint; flags?: number; at?: bigint; clockid?: number }) {
  return {
    id: 1, flags: 2, fown: {}, clockid: o.clockid ?? CLOCK_MONOTONIC, ticks: o.ticks ?? 0n, settime_flags: o.flags ?? 0,
    vsec: o.value / S, vnsec: o.value % S, isec: o.interval / S, insec: o.interval % S,
    ...(o.at !== undefined ? { amber_clock_ns: o.at } : {}),
  };
}

describe('parseTimerfdInfo', () => {
  it('reads the rows of this kernel', () => {
    const rows = new Map([['clockid', '7'], ['ticks', '12'], ['settime flags', '03'], ['it_value', '(3599, 310146309)'], ['it_interval', '(0, 50000000)']]);
    expect(parseTimerfdInfo(rows)).toEqual({ clockid: 7, ticks: 12n, settimeFlags: 3, valueNs: 3599310146309n, intervalNs: 50n * MS });
  });
  it('refuses rows it does not understand', () => {
    expect(parseTimerfdInfo(new Map([['clockid', '1']]))).toBeUndefined();
    expect(parseTimerfdInfo(new Map([['clockid', '1'], ['ticks', '0'], ['settime flags', '00'], ['it_value', '0 0'], ['it_interval', '(0, 0)']]))).toBeUndefined();
  });
});

describe('planTimer', () => {
  const at = 1000n * S;
  it('arms a timer still ahead for the time it has left now', () => {
    expect(planTimer(entry({ value: 300n * MS, interval: 0n, at }), at + 100n * MS)).toEqual({ settimeFlags: 0, valueNs: 200n * MS, intervalNs: 0n, ticks: 0n, nextNs: at + 300n * MS });
  });
  it('keeps the absolute expiry of a TFD_TIMER_ABSTIME timer', () => {
    const p = planTimer(entry({ value: 3600n * S + 7n, interval: 0n, flags: TFD_TIMER_ABSTIME | 2, at }), at + 5n * S);
    expect(p).toMatchObject({ settimeFlags: 3, valueNs: at + 3600n * S + 7n, ticks: 0n });
  });
  it('counts every period that passed during the checkpoint and keeps the phase', () => {
    // Next expiry at +40 ms, every 100 ms, 3 unread; restored at +1030 ms: it fired at
    // +40, +140, ..., +940 (10 times) and fires next at +1040.
    const p = planTimer(entry({ value: 40n * MS, interval: 100n * MS, ticks: 3n, at }), at + 1030n * MS);
    expect(p).toEqual({ settimeFlags: 0, valueNs: 10n * MS, intervalNs: 100n * MS, ticks: 13n, nextNs: at + 1040n * MS });
    const abs = planTimer(entry({ value: 40n * MS, interval: 100n * MS, ticks: 3n, flags: TFD_TIMER_ABSTIME, at }), at + 1030n * MS);
    expect(abs).toMatchObject({ valueNs: at + 1040n * MS, ticks: 13n });
  });
  it('leaves a one-shot timer that expired during the checkpoint fired, not armed with 0', () => {
    expect(planTimer(entry({ value: 40n * MS, interval: 0n, at }), at + 2n * S)).toEqual({ settimeFlags: 0, valueNs: 0n, intervalNs: 0n, ticks: 1n });
  });
  it('keeps a disarmed timer disarmed, with its interval and count', () => {
    expect(planTimer(entry({ value: 0n, interval: 50n * MS, at }), at + S)).toEqual({ settimeFlags: 0, valueNs: 0n, intervalNs: 50n * MS, ticks: 0n });
    expect(planTimer(entry({ value: 0n, interval: 0n, ticks: 1n, at }), at + S)).toMatchObject({ valueNs: 0n, ticks: 1n });
  });
  it('gives a relative timer the time it had left when its clock is behind the reading (another boot)', () => {
    expect(planTimer(entry({ value: 300n * MS, interval: 0n, at }), at - 100n * S)).toMatchObject({ valueNs: 300n * MS, ticks: 0n });
    expect(planTimer(entry({ value: 300n * MS, interval: 0n, flags: TFD_TIMER_ABSTIME, at }), at - 100n * S)).toMatchObject({ valueNs: at + 300n * MS });
  });
  it('arms images without a clock reading (CRIU) with the time left as at dump', () => {
    expect(planTimer(entry({ value: 300n * MS, interval: 0n }), at)).toMatchObject({ valueNs: 300n * MS, ticks: 0n });
    expect(planTimer(entry({ value: 300n * MS, interval: 0n, flags: TFD_TIMER_ABSTIME }), at)).toMatchObject({ valueNs: at + 300n * MS });
    // CRIU's reading of a periodic timer with an unread expiry: no time left. It stays periodic.
    expect(planTimer(entry({ value: 0n, interval: 100n * MS, ticks: 1n }), at)).toMatchObject({ valueNs: 100n * MS, intervalNs: 100n * MS, ticks: 1n });
  });
});

describe('on real timers', () => {
  const fail = () => new UnsupportedError(process.pid, 'timerfd', 'unreadable');
  const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

  it('a periodic timer never read: the reading counts every period, a new timer armed from it goes on', () => {
    const fd = native.timerfdCreate(CLOCK_MONOTONIC, 0o2004000);
    const t0 = process.hrtime.bigint();
    native.timerfdSettime(fd, 0, 20n * MS, 20n * MS);
    sleep(130);
    // What fdinfo alone shows: one expiry, nothing left.
    expect(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')).toMatch(/ticks: 1\n[^]*it_value: \(0, 0\)/);
    const r = readTimer(fd, fail);
    const periods = (r.clockNs - t0) / (20n * MS);
    expect(r.ticks).toBeGreaterThanOrEqual(periods - 1n);
    expect(r.ticks).toBeLessThanOrEqual(periods + 1n);
    expect(r.valueNs > 0n && r.valueNs <= 20n * MS).toBe(true);
    const e = entry({ value: r.valueNs, interval: r.intervalNs, ticks: r.ticks, at: r.clockNs });
    sleep(50);
    const copy = native.timerfdCreate(CLOCK_MONOTONIC, 0o2004000);
    armTimer(copy, e);
    const buf = Buffer.alloc(8);
    fs.readSync(fd, buf);
    const a = buf.readBigUInt64LE();
    fs.readSync(copy, buf);
    const b = buf.readBigUInt64LE();
    expect(b >= a - 1n && b <= a + 1n).toBe(true);
    // Same phase: both fire next within a millisecond of each other.
    const [va] = native.timerfdGettime(fd), [vb] = native.timerfdGettime(copy);
    const d = va > vb ? va - vb : vb - va;
    expect(d < MS || d > 19n * MS).toBe(true);
    fs.closeSync(fd);
    fs.closeSync(copy);
  });

  it('an absolute realtime timer: the copy expires at the same instant', () => {
    const fd = native.timerfdCreate(CLOCK_REALTIME, 0o2004000);
    const when = native.clockGettime(CLOCK_REALTIME) + 3600n * S;
    native.timerfdSettime(fd, TFD_TIMER_ABSTIME, when, 0n);
    const r = readTimer(fd, fail);
    expect(r.settimeFlags).toBe(TFD_TIMER_ABSTIME);
    const copy = native.timerfdCreate(CLOCK_REALTIME, 0o2004000);
    sleep(30);
    armTimer(copy, entry({ value: r.valueNs, interval: 0n, flags: r.settimeFlags, at: r.clockNs, clockid: CLOCK_REALTIME }));
    const [va] = native.timerfdGettime(fd), [vb] = native.timerfdGettime(copy);
    expect(Number(va > vb ? va - vb : vb - va)).toBeLessThan(Number(MS / 10n));
    fs.closeSync(fd);
    fs.closeSync(copy);
  });

  it('TFD_IOC_SET_TICKS refuses a count of 0 and the native checks refuse bad arguments', () => {
    const fd = native.timerfdCreate(CLOCK_MONOTONIC, 0o2004000);
    expect(() => native.ioctlSetU64(fd, 0x40085400, 0n)).toThrow(/EINVAL/);
    expect(() => native.ioctlSetU64(fd, 0x5400, 1n)).toThrow(RangeError);
    expect(() => native.timerfdSettime(fd, 4, 0n, 0n)).toThrow(RangeError);
    expect(() => native.signalfd(1 as unknown as bigint, 0)).toThrow(RangeError);
    fs.closeSync(fd);
  });
});
