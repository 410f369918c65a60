/**
 * CRIU options end to end with bin/amber on a live process: --leave-stopped (dump and restore),
 * --status-fd (one zero byte once the tree runs), --display-stats, --timeout (freezing gives up
 * and the tree runs on untraced). Needs root and the build (dist/, bin/amber).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { startSleeper } from '../fixtures/sleeper';
import { procState, waitExit, waitPidsFree, settledState } from '../../zdtm/runner/reaper';
import { freezeTree } from '../../dist/src/pstree/freeze';
import { openLog } from '../../dist/src/log';

const isRoot = process.getuid?.() === 0;
const ready = isRoot && fs.existsSync(defaultAmberBin) && fs.existsSync(path.join(__dirname, '../../dist/src/cli/main.js'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
const pids: number[] = [];
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-cli-e2e-'));
  if (ready) becomeSubreaper();
});
afterAll(() => {
  for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  fs.rmSync(root, { recursive: true, force: true });
});

function amber(args: string[], extra: { stdio?: ('pipe' | 'ignore' | 'inherit' | number)[] } = {}) {
  return spawnSync(defaultAmberBin, [...args, '--no-default-config'], { encoding: 'utf8', stdio: extra.stdio as never, timeout: 60_000 });
}

function tracer(pid: number): string {
  return /^TracerPid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
}

describe.skipIf(!ready)('CRIU options on a live process', () => {
  it('--leave-stopped keeps the dumped tree, stopped; restore --leave-stopped gives it back stopped; --display-stats and --status-fd', async () => {
    const pid = startSleeper(pids);
    await sleep(100);
    const dir = path.join(root, 'stopped');
    const d = amber(['dump', '-t', String(pid), '-D', dir, '--leave-stopped', '--display-stats']);
    expect(d.status, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/Displaying dump stats:\nFreezing time: \d+ us/);
    expect(d.stdout).toMatch(/Memory pages written: [1-9]\d* \(0x[0-9a-f]+\)/);
    // Detached with SIGSTOP: it runs for the moment it takes to stop (seen as R under load).
    expect(await settledState(pid)).toBe('T');
    expect(tracer(pid)).toBe('0');
    process.kill(pid, 'SIGKILL');
    await waitExit(pid, 5000);
    await waitPidsFree([pid], 5000);

    // fd 3 of amber is the write end of a pipe: one zero byte comes once the tree runs.
    const [r, w] = pipeFds();
    const res = amber(['restore', '-D', dir, '-d', '--leave-stopped', '--status-fd', '3', '--display-stats'], { stdio: ['ignore', 'pipe', 'pipe', w] });
    fs.closeSync(w);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Displaying restore stats:/);
    const buf = Buffer.alloc(4);
    expect(fs.readSync(r, buf, 0, 4, null)).toBe(1);
    expect(buf[0]).toBe(0);
    expect(fs.readSync(r, buf, 0, 4, null)).toBe(0); // closed after the byte
    fs.closeSync(r);
    expect(await settledState(pid)).toBe('T');
    process.kill(pid, 'SIGCONT');
    await sleep(50);
    expect(await settledState(pid)).toBe('S');
  });

  it('--action-script runs at each action point with CRIU\'s environment; a failing one fails the dump and the tree runs on', async () => {
    const pid = startSleeper(pids);
    await sleep(100);
    const dir = path.join(root, 'actions');
    const log = path.join(root, 'actions.log');
    const script = `echo "$CRTOOLS_SCRIPT_ACTION $CRTOOLS_INIT_PID $CRTOOLS_IMAGE_DIR" >> ${log}`;
    const d = amber(['dump', '-t', String(pid), '-D', dir, '--action-script', script]);
    expect(d.status, d.stderr).toBe(0);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['pre-dump', 'network-lock', 'post-dump'].map((a) => `${a} ${pid} ${dir}`));
    await waitExit(pid, 5000);
    await waitPidsFree([pid], 5000);
    fs.rmSync(log);
    const r = amber(['restore', '-D', dir, '-d', '--action-script', script]);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toEqual(['pre-restore', 'post-restore', 'network-unlock', 'pre-resume', 'post-resume'].map((a) => `${a} ${pid} ${dir}`));
    expect(await settledState(pid)).toBe('S');

    const f = amber(['dump', '-t', String(pid), '-D', path.join(root, 'actions2'), '--action-script', 'test "$CRTOOLS_SCRIPT_ACTION" != post-dump']);
    expect(f.status).toBe(1);
    expect(f.stderr).toMatch(/action script for post-dump .* exited with 1/);
    expect(await settledState(pid)).toBe('S');
    expect(tracer(pid)).toBe('0');
  });

  it('--restore-sibling: the restored root is a child of amber\'s parent, which reaps it', async () => {
    const pid = startSleeper(pids);
    await sleep(100);
    const dir = path.join(root, 'sibling');
    const d = amber(['dump', '-t', String(pid), '-D', dir]);
    expect(d.status, d.stderr).toBe(0);
    await waitExit(pid, 5000);
    await waitPidsFree([pid], 5000);
    // A parent of its own runs amber -S, then waits for its children: amber, and the restored root.
    const py = [
      'import os, signal, sys',
      `a = os.fork()`,
      `if a == 0:\n    os.execv(${JSON.stringify(defaultAmberBin)}, [${JSON.stringify(defaultAmberBin)}, "restore", "-D", ${JSON.stringify(dir)}, "-S", "--no-default-config"])`,
      '_, st = os.waitpid(a, 0)',
      'print("amber", os.waitstatus_to_exitcode(st))',
      `print("ppid", open("/proc/${pid}/stat").read().split(") ")[1].split()[1] == str(os.getpid()))`,
      `os.kill(${pid}, signal.SIGKILL)`,
      'r, st = os.waitpid(-1, 0)',
      'print("reaped", r, os.WIFSIGNALED(st) and os.WTERMSIG(st))',
    ].join('\n');
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual(['amber 0', 'ppid True', `reaped ${pid} 9`]);
  });

  it('--exec-cmd: amber becomes the command, which is then the restored root\'s parent', async () => {
    const pid = startSleeper(pids);
    await sleep(100);
    const dir = path.join(root, 'exec');
    expect(amber(['dump', '-t', String(pid), '-D', dir]).status).toBe(0);
    await waitExit(pid, 5000);
    await waitPidsFree([pid], 5000);
    const py = `import os, signal; os.kill(${pid}, signal.SIGKILL); r, st = os.waitpid(${pid}, 0); print(r, os.WTERMSIG(st))`;
    const r = spawnSync(defaultAmberBin, ['restore', '-D', dir, '--no-default-config', '--exec-cmd', '--', 'python3', '-c', py], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`${pid} 9`);
    expect(amber(['restore', '-D', dir, '--exec-cmd']).stderr).toMatch(/--exec-cmd needs the command after --/);
  });

  it('--timeout: a freeze that runs past it gives up and leaves the tree running, untraced', async () => {
    // A tree of 40 processes: freezing it takes longer than 1 ms.
    const c = spawn('sh', ['-c', 'for i in $(seq 40); do sleep 1000 & done; wait'], { detached: true, stdio: 'ignore' });
    c.unref();
    pids.push(c.pid!);
    await sleep(300);
    const kids = fs.readFileSync(`/proc/${c.pid}/task/${c.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    pids.push(...kids);
    expect(kids.length).toBe(40);
    expect(() => freezeTree(c.pid!, openLog(0, undefined), 1)).toThrow(/took more than the timeout \(0\.001 s, --timeout\).*left running/);
    for (const p of [c.pid!, ...kids]) {
      expect(['R', 'S']).toContain(procState(p));
      expect(tracer(p)).toBe('0');
    }
    expect(amber(['dump', '-t', String(c.pid), '-D', path.join(root, 't'), '--timeout', 'x']).stderr).toMatch(/bad --timeout x/);
  });
});

function pipeFds(): [number, number] {
  // Node has no pipe(2): the native addon does.
  const { native } = require('../../dist/src/native');
  return native.pipe2(0o2000000);
}
