/** The mutant checkpointers of the self-check do what they claim. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../../zdtm/runner/paths';
import { procState } from '../../zdtm/runner/reaper';

const mutant = (name: string): string => path.join(repoRoot, 'zdtm', 'mutants', name);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A process holding 64 MiB of 0x5a; on a line on stdin it prints how many bytes differ. */
function patternHolder(): Promise<ChildProcess> {
  const code = `
    const buf = Buffer.alloc(64 << 20, 0x5a);
    process.stdin.on('data', () => {
      let bad = 0;
      for (let i = 0; i < buf.length; i++) if (buf[i] !== 0x5a) bad++;
      process.stdout.write(bad + '\\n');
    });
    process.stdout.write('ready\\n');`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve) => child.stdout?.once('data', () => resolve(child)));
}

/** The state letter of pid once it is `want`, or whatever it is after a second. */
function stateSoon(pid: number, want: string): string | undefined {
  const deadline = Date.now() + 1000;
  let st = procState(pid);
  while (st !== want && Date.now() < deadline) {
    spawnSync('sleep', ['0.01']);
    st = procState(pid);
  }
  return st;
}

function ask(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.stdin?.write('check\n');
  });
}

describe('zdtm mutants', () => {
  it('noop-amber stops on dump, continues on restore, writes the pidfile, claims features', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-noop-'));
    const child = spawn('sleep', ['30']);
    children.push(child);
    const pid = child.pid as number;
    const dump = spawnSync(mutant('noop-amber'), ['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '-v4', '--leave-running']);
    expect(dump.status).toBe(0);
    expect(stateSoon(pid, 'T')).toBe('T');
    expect(fs.readFileSync(path.join(dir, 'dump.log'), 'utf8')).toContain(`stopped ${pid}`);
    const pidfile = path.join(dir, 'restored.pid');
    const restore = spawnSync(mutant('noop-amber'), ['restore', '-D', dir, '-o', 'restore.log', '-d', `--pidfile=${pidfile}`]);
    expect(restore.status).toBe(0);
    expect(stateSoon(pid, 'S')).toBe('S');
    expect(fs.readFileSync(pidfile, 'utf8').trim()).toBe(String(pid));
    expect(spawnSync(mutant('noop-amber'), ['check', '--feature', 'anything']).status).toBe(0);
    expect(spawnSync(mutant('noop-amber'), ['dump', '-D', dir]).status).toBe(1);
    fs.rmSync(dir, { recursive: true });
  });

  it('corrupt-amber passes the exit status through and flips one byte of the restored task', async () => {
    const holder = await patternHolder();
    expect(await ask(holder)).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-corrupt-'));
    const pidfile = path.join(dir, 'restore.pid');
    fs.writeFileSync(pidfile, `${holder.pid}\n`);
    const env = { ...process.env, AMBER_REAL_BIN: 'true' };
    const r = spawnSync(mutant('corrupt-amber'), ['restore', '-D', dir, '-d', '--pidfile', pidfile], { env, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/corrupt-amber: task \d+: byte at 0x[0-9a-f]+ \(anonymous mapping\) 0x5a -> 0xa5/);
    expect(await ask(holder)).toBe(1);
    const failing = spawnSync(mutant('corrupt-amber'), ['restore', '--pidfile', pidfile], { env: { ...env, AMBER_REAL_BIN: 'false' } });
    expect(failing.status).toBe(1);
    expect(await ask(holder)).toBe(1);
    fs.rmSync(dir, { recursive: true });
  });
});
