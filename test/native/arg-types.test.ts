/**
 * Every native function, called with arguments of every wrong type: each call throws a
 * TypeError or RangeError naming the function (or, for a value of the right type, a SysError
 * from its syscall), and none crashes Node. Runs in a child process in a new pid namespace, so
 * that a call which got through to a syscall with -1 for a pid could only reach the child.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const isRoot = process.getuid?.() === 0;
const probe = path.join(__dirname, 'arg-types-probe.js');
const hasUnshare = spawnSync('unshare', ['--help']).status === 0;

describe.skipIf(!isRoot || !hasUnshare)('native argument checks', () => {
  it('refuses every wrong-typed argument of every function, and never crashes', () => {
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, probe], { encoding: 'utf8', timeout: 60_000 });
    const last = r.stderr.trim().split('\n').pop();
    expect(r.signal, `crashed at ${last}`).toBeNull();
    expect(r.status, `${r.stdout}\n${r.stderr.slice(-2000)}`).toBe(0);
    const report = JSON.parse(r.stdout) as { calls: number; unexpected: string[] };
    expect(report.unexpected).toEqual([]);
    expect(report.calls).toBeGreaterThan(800);
  });
});
