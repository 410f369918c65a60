/**
 * SIGKILL to amber in the middle of a dump: nothing can clean up, so the infected task puts
 * itself back (src/arch/x86_64/recovery.ts): it must carry on untraced, with its registers,
 * FPU state, signal mask, SIGTRAP action, memory and threads as they were, and no scratch
 * mapping. (A restore killed so is covered by PTRACE_O_EXITKILL: its stubs die with it.) amber
 * is stopped for good at a known moment (AMBER_FAULT=hang:POINT) and killed there: between
 * injected syscalls, with another thread infected, with a call's registers set but not run
 * (the task then runs it and takes its trap as a real SIGTRAP), and at each step of the
 * bootstrap and of the cure. What stays is the escape code in the vDSO's free tail, which says
 * the kill came while the task was infected.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeWorkDir } from './fault-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../bench/proc';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { waitExit } from '../../zdtm/runner/reaper';
import { loadTests } from '../../zdtm/runner';
import { startTest, stopTest, testFiles } from '../../zdtm/runner/program';
import { escapeCodeLeft, hasScratchArea, statusOf as status } from '../../fuzz/task-state';
import { buildMemhog, hasCc, memoryIntact, startMemhog } from './memhog';

const isRoot = process.getuid?.() === 0;
let work: string;
let memhog: string;
let wide: string;

/** A dump of pid that stops for good at `point` (AMBER_FAULT=hang:POINT), killed with SIGKILL there. */
function killAmberAt(pid: number, point: string, dir: string, alsoPlan?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const plan = alsoPlan ? `${alsoPlan},hang:${point}` : `hang:${point}`;
    const p = spawn(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir, '--leave-running'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AMBER_FAULT: plan } });
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

/** The task is running as before: untraced, SIGTRAP not caught (amber's handler gone), no scratch area. */
async function runsOn(pid: number, sleeping = true): Promise<void> {
  await new Promise((r) => setTimeout(r, 100));
  const st = status(pid);
  expect(st.TracerPid).toBe('0');
  if (sleeping) expect(st.State).toMatch(/^S/);
  else expect(st.State).toMatch(/^[RS]/);
  expect((BigInt(`0x${st.SigCgt}`) >> 4n) & 1n).toBe(0n);
  expect(hasScratchArea(pid)).toBe(false);
}

const avx = loadTests().find((t) => t.name === 'avx_regs');

describe.skipIf(!isRoot || !hasCc)('SIGKILL to amber mid-dump', () => {
  afterAll(() => { if (work) removeWorkDir(work); });
  beforeAll(() => {
    becomeSubreaper();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-sigkill-'));
    memhog = buildMemhog(work);
    wide = buildFixture(work, 'wide', ['-pthread']);
  });

  // Killed while the task's main thread is infected (between injected syscalls), and while
  // another thread is: each puts itself back. Kills at random moments are `npm run soak:sigkill`
  // (docs/fuzz.md).
  it('killed at dump:task-state: a single-threaded task puts itself back, memory intact', async () => {
    const pid = startMemhog(memhog, 64);
    await killAmberAt(pid, 'dump:task-state', path.join(work, 'm'));
    await runsOn(pid);
    expect(escapeCodeLeft(pid)).toBe(true);
    expect(await memoryIntact(pid)).toBe(true);
  });

  for (const point of ['dump:task-state', 'dump:thread-injection']) {
    it(`killed at ${point}: a task with 300 threads puts every thread back`, async () => {
      const r = spawnSync(wide, ['threads', '300'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const pid = Number(r.stdout.trim());
      await killAmberAt(pid, point, path.join(work, `t-${point}`));
      await runsOn(pid);
      expect(escapeCodeLeft(pid)).toBe(true);
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) expect(status(Number(tid)).TracerPid).toBe('0');
      // SIGUSR1: the fixture checks each thread answers with its own TID, index and stack canary.
      process.kill(pid, 'SIGUSR1');
      expect((await waitExit(pid, 20_000))?.code).toBe(0);
    });
  }

  // Kernels before 5.13: a thread asked about its rseq registration holds an area of amber's
  // for a moment (a task without glibc's symbols; pretend:no-get-rseq-conf asks here too).
  // Killed then, the escape code unregisters it, or the kernel would write into an unmapped
  // area at the task's next return to user space and kill it with SIGSEGV.
  it('killed while a thread holds the rseq area amber asked with: no registration is left', async () => {
    const bin = path.join(work, 'rseq-threads-static');
    const cc = spawnSync('gcc', ['-O2', '-pthread', '-static', '-o', bin, path.join(__dirname, '..', 'fixtures', 'rseq-threads.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const child = spawn(bin, [], { stdio: 'ignore', detached: true, env: { ...process.env, GLIBC_TUNABLES: 'glibc.pthread.rseq=0' } });
    const pid = child.pid!;
    // Ready: four threads, all asleep.
    for (let i = 0; i < 100 && !(fs.readdirSync(`/proc/${pid}/task`).length === 4 && fs.readdirSync(`/proc/${pid}/task`).every((t) => status(Number(t)).State.startsWith('S'))); i++) await new Promise((r) => setTimeout(r, 20));
    try {
      await killAmberAt(pid, 'dump:rseq-asked', path.join(work, 'rseq'), 'pretend:no-get-rseq-conf');
      await runsOn(pid);
      // Signals make every thread return to user space: each would meet a stale registration.
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) process.kill(Number(tid), 'SIGCONT');
      await new Promise((r) => setTimeout(r, 100));
      expect(status(pid).State).toMatch(/^S/);
      const asked = spawnSync(process.execPath, [path.join(__dirname, '..', 'fixtures', 'rseq-ask.js'), String(pid)], { encoding: 'utf8' });
      expect(asked.status, asked.stderr).toBe(0);
      const threads = (JSON.parse(asked.stdout) as { threads: { kernelBefore: unknown }[] }).threads;
      expect(threads).toHaveLength(4);
      for (const t of threads) expect(t.kernelBefore).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  });

  // avx_regs keeps all sixteen ymm registers live in its own loop and checks them on SIGTERM:
  // the FPU state must survive the way back (a real SIGTRAP resets it for the handler).
  for (const moment of ['bootstrap-loaded', 'bootstrap-done', 'call-loaded', 'cure-loaded', 'cure-restored', 'cure-unmapped']) {
    it.skipIf(!avx || !fs.existsSync(avx.programFile))(`killed at ${moment} of the infection: registers, FPU state and mask come back, nothing is left`, async () => {
      const files = testFiles(path.join(work, `avx-${moment}`), avx!.name);
      fs.mkdirSync(path.dirname(files.pidfile), { recursive: true });
      const pid = await startTest(avx!, files, 10_000);
      try {
        const mask = status(pid).SigBlk;
        await killAmberAt(pid, `dump:infect:${moment}`, path.join(work, `avx-${moment}-img`));
        await runsOn(pid, false);
        expect(status(pid).SigBlk).toBe(mask);
        expect(escapeCodeLeft(pid)).toBe(true);
      } catch (e) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        throw e;
      }
      await stopTest(pid, files, 10_000);
    });
  }
});
