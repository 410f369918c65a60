/**
 * SIGKILL to amber in the middle of a dump: nothing can clean up, so the infected task puts
 * itself back (src/arch/x86_64/recovery.ts): it must carry on untraced, with its registers,
 * signal mask, SIGTRAP action, memory and threads as they were. (A restore killed so is
 * covered by PTRACE_O_EXITKILL: its stubs die with it.) The one thing left is the scratch
 * mapping of a task amber was injecting into at that moment.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../bench/proc';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { waitExit } from '../../zdtm/runner/reaper';
import { buildMemhog, hasCc, memoryIntact, startMemhog, status } from './memhog';

const isRoot = process.getuid?.() === 0;
let work: string;
let memhog: string;
let wide: string;

/** A dump of pid that stops for good at `point` (AMBER_FAULT=hang:POINT), killed with SIGKILL there. */
function killAmberAt(pid: number, point: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir, '--leave-running'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AMBER_FAULT: `hang:${point}` } });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      if (err.includes(`hanging at ${point}`)) p.kill('SIGKILL');
    });
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.on('exit', (code, sig) => {
      clearTimeout(t);
      if (sig === 'SIGKILL' && err.includes(`hanging at ${point}`)) resolve();
      else reject(new Error(`the dump did not reach ${point} (exit ${code ?? sig}): ${err}`));
    });
  });
}

/** The task is running as before: untraced, sleeping, SIGTRAP not caught (amber's handler gone). */
async function runsOn(pid: number): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  const st = status(pid);
  expect(st.TracerPid).toBe('0');
  expect(st.State).toMatch(/^S/);
  expect((BigInt(`0x${st.SigCgt}`) >> 4n) & 1n).toBe(0n);
}

describe.skipIf(!isRoot || !hasCc)('SIGKILL to amber mid-dump', () => {
  afterAll(() => { if (work) fs.rmSync(work, { recursive: true, force: true }); });
  beforeAll(() => {
    becomeSubreaper();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-sigkill-'));
    memhog = buildMemhog(work);
    wide = buildFixture(work, 'wide', ['-pthread']);
  });

  // Killed while the task's main thread is infected (between injected syscalls), and while
  // another thread is: each puts itself back. Kills at random moments are `npm run soak:sigkill`
  // (docs/fuzz.md: two one-syscall windows per process are not covered yet, so a random kill
  // can land in one of them).
  it('killed at dump:task-state: a single-threaded task puts itself back, memory intact', async () => {
    const pid = startMemhog(memhog, 64);
    await killAmberAt(pid, 'dump:task-state', path.join(work, 'm'));
    await runsOn(pid);
    expect(fs.readFileSync(`/proc/${pid}/maps`, 'utf8')).toMatch(/ rwxp 00000000 00:00 0 *\n/);
    expect(await memoryIntact(pid)).toBe(true);
  });

  for (const point of ['dump:task-state', 'dump:thread-injection']) {
    it(`killed at ${point}: a task with 300 threads puts every thread back`, async () => {
      const r = spawnSync(wide, ['threads', '300'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const pid = Number(r.stdout.trim());
      await killAmberAt(pid, point, path.join(work, `t-${point}`));
      await runsOn(pid);
      // The scratch mapping left behind says the kill came while amber was injecting.
      expect(fs.readFileSync(`/proc/${pid}/maps`, 'utf8')).toMatch(/ rwxp 00000000 00:00 0 *\n/);
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) expect(status(Number(tid)).TracerPid).toBe('0');
      // SIGUSR1: the fixture checks each thread answers with its own TID, index and stack canary.
      process.kill(pid, 'SIGUSR1');
      expect((await waitExit(pid, 20_000))?.code).toBe(0);
    });
  }
});
