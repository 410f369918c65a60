/**
 * --shell-job as CRIU means it: a job of an interactive shell, whose session (and controlling
 * terminal) belong to the shell outside the dumped tree, dumped with -j and restored with -j by
 * an amber running on another terminal: the job comes back in amber's session, on amber's
 * terminal (its stdio reopened there, that terminal its controlling one). Without -j the dump is
 * refused and the job runs on. Needs root and the build.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { procState, waitPidsFree, settledState } from '../../zdtm/runner/reaper';

const isRoot = process.getuid?.() === 0;
const ready = isRoot && fs.existsSync(defaultAmberBin);
const O_RDWR = 2, O_NOCTTY = 0o400, O_CLOEXEC = 0o2000000, TIOCSPTLCK = 0x40045431, TIOCGPTN = 0x80045430;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
const fds: number[] = [];
const pids: number[] = [];
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-shell-job-'));
  if (ready) becomeSubreaper();
});
afterAll(() => {
  for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  for (const fd of fds) try { fs.closeSync(fd); } catch { /* closed */ }
  fs.rmSync(root, { recursive: true, force: true });
});

/** A pty master the test holds; returns it and the slave's path. */
function ptyMaster(): { master: number; slave: string } {
  const m = fs.openSync('/dev/ptmx', O_RDWR | O_NOCTTY | O_CLOEXEC);
  fds.push(m);
  native.ttySet(m, TIOCSPTLCK, Buffer.alloc(4));
  return { master: m, slave: `/dev/pts/${native.ioctlInt(m, TIOCGPTN)}` };
}

/**
 * A "shell" on the slave: a session leader with the slave as its terminal, stdio on it, running
 * `cmd` as a child in its own process group (a job); prints the job's pid to `pidFile`.
 */
function shellOn(slave: string, cmd: string[], pidFile: string): number {
  const py = [
    'import os, sys',
    'os.closerange(3, 65536)',
    'os.setsid()',
    `fd = os.open(${JSON.stringify(slave)}, os.O_RDWR)`,
    'for i in (0, 1, 2): os.dup2(fd, i)',
    'os.close(fd)',
    'pid = os.fork()',
    `if pid == 0:\n    os.setpgid(0, 0)\n    os.execvp(${JSON.stringify(cmd[0])}, ${JSON.stringify(cmd)})`,
    `open(${JSON.stringify(pidFile)}, "w").write(str(pid))`,
    'os.waitpid(pid, 0)',
  ].join('\n');
  const c = spawn('python3', ['-c', py], { stdio: 'ignore' });
  c.unref();
  pids.push(c.pid!);
  return c.pid!;
}

/**
 * Runs amber as a shell would: a child of the session leader of `slave` (its terminal, its
 * stdio). The leader stays: a session leader's exit would take the terminal from its session.
 */
async function amberOn(slave: string, args: string[]): Promise<{ status: number; out: string }> {
  const log = path.join(root, `amber-${Date.now()}.out`);
  const statusFile = `${log}.status`;
  const py = [
    'import os, sys, time',
    'os.closerange(3, 65536)',
    'os.setsid()',
    `fd = os.open(${JSON.stringify(slave)}, os.O_RDWR)`,
    'for i in (0, 1, 2): os.dup2(fd, i)',
    'os.close(fd)',
    'pid = os.fork()',
    'if pid == 0:',
    `    err = os.open(${JSON.stringify(log)}, os.O_WRONLY | os.O_CREAT, 0o600)`,
    '    os.dup2(err, 2)',
    `    os.execv(${JSON.stringify(defaultAmberBin)}, ${JSON.stringify([defaultAmberBin, ...args, '--no-default-config'])})`,
    '_, st = os.waitpid(pid, 0)',
    `open(${JSON.stringify(statusFile)}, "w").write(str(os.waitstatus_to_exitcode(st)))`,
    'time.sleep(1000)',
  ].join('\n');
  const c = spawn('python3', ['-c', py], { stdio: 'ignore' });
  c.unref();
  pids.push(c.pid!);
  for (let i = 0; i < 3000 && !fs.existsSync(statusFile); i++) await sleep(10);
  return { status: Number(fs.readFileSync(statusFile, 'utf8')), out: fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '' };
}

const ttyNr = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[4]);
const rdevOf = (p: string) => Number(fs.statSync(p).rdev);

describe.skipIf(!ready)('--shell-job', () => {
  it('a job of a shell on one terminal comes back on the restorer\'s terminal', async () => {
    const a = ptyMaster(), b = ptyMaster();
    const pidFile = path.join(root, 'job.pid');
    const shell = shellOn(a.slave, ['sleep', '1000'], pidFile);
    for (let i = 0; i < 200 && !fs.existsSync(pidFile); i++) await sleep(10);
    const job = Number(fs.readFileSync(pidFile, 'utf8'));
    pids.push(job);
    await sleep(50);
    expect(ttyNr(job)).toBe(rdevOf(a.slave));
    const dir = path.join(root, 'img');

    const refused = spawnSync(defaultAmberBin, ['dump', '-t', String(job), '-D', path.join(root, 'no'), '--no-default-config'], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/--shell-job/);
    expect(await settledState(job)).toBe('S');

    const d = spawnSync(defaultAmberBin, ['dump', '-t', String(job), '-D', dir, '-j', '--no-default-config'], { encoding: 'utf8' });
    expect(d.status, d.stderr).toBe(0);
    process.kill(shell, 'SIGKILL');
    await waitPidsFree([job], 5000);

    const r = await amberOn(b.slave, ['restore', '-D', dir, '-j', '-d']);
    expect(r.status, r.out).toBe(0);
    expect(await settledState(job)).toBe('S');
    expect(ttyNr(job)).toBe(rdevOf(b.slave));
    for (const fd of [0, 1, 2]) expect(fs.readlinkSync(`/proc/${job}/fd/${fd}`)).toBe(b.slave);
    // The job is in the restorer's session, in its own group as dumped.
    const st = fs.readFileSync(`/proc/${job}/stat`, 'utf8').split(') ')[1].split(' ');
    expect(Number(st[2])).toBe(job);
    expect(Number(st[3])).not.toBe(job);
    process.kill(job, 'SIGKILL');
  });
});
