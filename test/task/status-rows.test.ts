// Refuse, never drop: every /proc/PID/status row of every task on this machine has a rule.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/errors';
import { parseStatus } from '../../src/proc/status';
import { refuseStatusState, STATUS_ROWS } from '../../src/task/status-rows';

describe('/proc status rows', () => {
  it('knows every row of every task on this machine', () => {
    const seen = new Set<string>();
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try { for (const k of parseStatus(fs.readFileSync(`/proc/${pid}/status`, 'utf8')).keys()) seen.add(k); } catch { /* gone */ }
    }
    expect(seen.size).toBeGreaterThan(40);
    expect([...seen].filter((k) => !(k in STATUS_ROWS))).toEqual([]);
  });

  it('lets this process pass and refuses what it cannot carry', () => {
    const own = parseStatus(fs.readFileSync('/proc/self/status', 'utf8'));
    expect(() => refuseStatusState(process.pid, own)).not.toThrow();
    const with_ = (k: string, v: string) => new Map([...own, [k, v]]);
    expect(() => refuseStatusState(1, with_('NSpid', '10 1'))).toThrow(/nested pid namespace/);
    expect(() => refuseStatusState(1, with_('untag_mask', '0x7effffffffffffff'))).toThrow(/linear address masking/);
    expect(() => refuseStatusState(1, with_('x86_Thread_features', 'shstk'))).toThrow(/shadow stack/);
    expect(() => refuseStatusState(1, with_('TracerPid', '1'))).toThrow(/traced by task 1/);
    expect(() => refuseStatusState(1, with_('Brand_new_row', '1'))).toThrow(UnsupportedError);
  });
});
