import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const probe = path.join(__dirname, '..', 'fixtures', 'compel-probe.js');
const isRoot = process.getuid?.() === 0;

function sessionOf(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[3]);
}

describe.skipIf(!isRoot)('compel: syscalls injected into a stopped task', () => {
  it('runs getpid, getppid and setsid inside the task, cures, and the task carries on', async () => {
    const child = spawn('sleep', ['1.5'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 100));
    const pid = child.pid!;
    expect(sessionOf(pid)).not.toBe(pid);
    const r = spawnSync(process.execPath, [probe, String(pid), 'getpid', 'getppid', 'setsid'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.results.getpid).toBe(pid);
    expect(out.results.getppid).toBe(process.pid);
    expect(out.results.setsid).toBe(pid);
    // As one batch (after setsid: now it fails with EPERM), and a batch longer than one stop.
    expect(out.batch).toEqual([pid, process.pid, 'errno 1']);
    expect(out.many).toHaveLength(130);
    expect(out.many.every((p: number) => p === process.pid)).toBe(true);
    expect(out.maskRead).toBe(true);
    expect(out.scratchVisible).toBe(true);
    expect(out.scratchGone).toBe(true);
    expect(out.ipKept).toBe(true);
    expect(sessionOf(pid)).toBe(pid);
    // Interrupted in nanosleep, it must still sleep its full time and exit 0.
    expect(await exited).toBe(0);
  });

  it('reports a failing injected syscall as an errno', async () => {
    const child = spawn('sleep', ['1'], { stdio: 'ignore', detached: true });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 100));
    // detached: the child is already a session leader, so setsid fails with EPERM.
    const r = spawnSync(process.execPath, [probe, String(child.pid), 'setsid'], { encoding: 'utf8' });
    expect(JSON.parse(r.stdout).results.setsid).toBe('EPERM');
    expect(await exited).toBe(0);
  });
});
