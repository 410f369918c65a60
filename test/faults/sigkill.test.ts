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
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFixture } from '../../bench/proc';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { waitExit } from '../../zdtm/runner/reaper';
import { buildMemhog, hasCc, memoryIntact, startMemhog, status } from './memhog';

const isRoot = process.getuid?.() === 0;
let work: string;
let memhog: string;
let wide: string;

function killAmberAfter(pid: number, ms: number, dir: string): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir, '--leave-running'], { stdio: 'ignore' });
    const t = setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('exit', () => {
      clearTimeout(t);
      resolve();
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
  beforeAll(() => {
    becomeSubreaper();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-sigkill-'));
    memhog = buildMemhog(work);
    wide = buildFixture(work, 'wide', ['-pthread']);
  });

  for (const ms of [70, 100, 130, 160, 200, 260]) {
    it(`${ms} ms in: a single-threaded task puts itself back, memory intact`, async () => {
      const pid = startMemhog(memhog, 256);
      await killAmberAfter(pid, ms, path.join(work, `m${ms}`));
      await runsOn(pid);
      expect(await memoryIntact(pid)).toBe(true);
    });
  }

  // A dump of 300 threads injects into one thread after another for some 200 ms: these land in it.
  let recovered = 0;
  for (const ms of [130, 170, 210, 250, 290]) {
    it(`${ms} ms in: a task with 300 threads puts every thread back`, async () => {
      const r = spawnSync(wide, ['threads', '300'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const pid = Number(r.stdout.trim());
      await killAmberAfter(pid, ms, path.join(work, `t${ms}`));
      await runsOn(pid);
      // The scratch mapping left behind says the kill came while amber was injecting.
      if (/ rwxp 00000000 00:00 0 *\n/.test(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'))) recovered++;
      for (const tid of fs.readdirSync(`/proc/${pid}/task`)) expect(status(Number(tid)).TracerPid).toBe('0');
      // SIGUSR1: the fixture checks each thread answers with its own TID, index and stack canary.
      process.kill(pid, 'SIGUSR1');
      const e = await waitExit(pid, 20_000);
      if (e?.code !== 0) console.log('DEBUG', ms, pid, JSON.stringify(e), fs.existsSync(`/proc/${pid}`) ? fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').slice(0, 8).join(' | ') : 'gone');
      expect(e?.code).toBe(0);
    });
  }

  it('some of those kills came in the middle of injections (the recovery code ran)', () => {
    expect(recovered).toBeGreaterThan(0);
  });
});
