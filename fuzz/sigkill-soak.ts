/**
 * `npm run soak:sigkill`: amber killed with SIGKILL at a random moment of a dump, N times
 * (default 200), over processes of several shapes: memory (memhog), many threads and a tree
 * (bench/fixtures/wide.c). Every dump runs with --leave-running, so after each kill the process
 * must still run as it was: untraced, its SIGTRAP not caught (amber's recovery handler gone),
 * and its own check on SIGUSR1 (memory pattern, every thread's identity and stack, every child)
 * must pass. Prints each failure with its seed and round, then "N passed, N failed".
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { escapeCodeLeft, hasScratchArea, statusOf, treeOf } from './task-state';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildFixture } from '../bench/proc';
import { becomeSubreaper, defaultAmberBin } from '../zdtm/runner';
import { waitExit, waitPidsFree } from '../zdtm/runner/reaper';
import { Rng } from './mutate';

interface Shape { name: string; argv: (bin: { memhog: string; wide: string }) => string[]; maxMs: number }

const SHAPES: Shape[] = [
  { name: 'memhog 128 MiB', argv: (b) => [b.memhog, '128'], maxMs: 260 },
  { name: '300 threads', argv: (b) => [b.wide, 'threads', '300'], maxMs: 420 },
  { name: 'tree of 30', argv: (b) => [b.wide, 'tree', '30'], maxMs: 300 },
];

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : def;
  };
  const rounds = opt('--rounds', 200);
  const seed = opt('--seed', Date.now() % 1_000_000);
  if (process.getuid?.() !== 0) throw new Error('run it as root');
  becomeSubreaper();
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-soak-'));
  const bins = { memhog: buildFixture(cache, 'memhog'), wide: buildFixture(cache, 'wide', ['-pthread']) };
  const rng = new Rng(seed);
  let passed = 0, failed = 0, recovered = 0;
  process.stdout.write(`soak: seed ${seed}, ${rounds} rounds of SIGKILL mid-dump\n`);
  for (let round = 0; round < rounds; round++) {
    const shape = rng.pick(SHAPES);
    const ms = 40 + rng.int(shape.maxMs - 40);
    const [cmd, ...rest] = shape.argv(bins);
    const started = spawnSync(cmd, rest, { encoding: 'utf8' });
    const pid = Number(started.stdout.trim());
    if (started.status !== 0 || !pid) throw new Error(`${shape.name} did not start: ${started.stderr}`);
    await new Promise((r) => setTimeout(r, 50));
    const tree = treeOf(pid);
    const trapCaught = (BigInt(`0x${statusOf(pid).SigCgt}`) >> 4n) & 1n;
    const dir = path.join(cache, 'images');
    await new Promise<void>((resolve) => {
      const p = spawn(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir, '--leave-running', '-v4', '-o', 'dump.log'], { stdio: 'ignore' });
      const t = setTimeout(() => p.kill('SIGKILL'), ms);
      p.on('exit', () => { clearTimeout(t); resolve(); });
    });
    await new Promise((r) => setTimeout(r, 50));
    const problems: string[] = [];
    for (const task of tree) {
      try {
        const st = statusOf(task);
        if (st.TracerPid !== '0') problems.push(`task ${task} still traced by ${st.TracerPid}`);
        if (!/^[SR]/.test(st.State)) problems.push(`task ${task} is ${st.State}`);
      } catch {
        problems.push(`task ${task} is gone`);
      }
    }
    if (!problems.length && ((BigInt(`0x${statusOf(pid).SigCgt}`) >> 4n) & 1n) !== trapCaught) problems.push('its SIGTRAP action changed');
    for (const task of problems.length ? [] : tree) if (hasScratchArea(task)) problems.push(`task ${task} still has amber's scratch area`);
    if (!problems.length && tree.some(escapeCodeLeft)) recovered++;
    if (!problems.length) {
      process.kill(pid, 'SIGUSR1');
      const e = await waitExit(pid, 30_000);
      if (e?.code !== 0) problems.push(`its own check ended ${JSON.stringify(e)}`);
    }
    if (problems.length) {
      // Where amber was when it died: the last line of its log.
      const log = fs.existsSync(path.join(dir, 'dump.log')) ? fs.readFileSync(path.join(dir, 'dump.log'), 'utf8').trim().split('\n') : [];
      problems.push(`amber's log ended: ${log[log.length - 1] ?? '(none)'}`);
    }
    for (const task of tree) {
      try { process.kill(task, 'SIGKILL'); } catch { /* gone */ }
    }
    await waitPidsFree(tree, 10_000);
    fs.rmSync(dir, { recursive: true, force: true });
    if (problems.length) {
      failed++;
      process.stdout.write(`FAIL round ${round} (${shape.name}, killed at ${ms} ms): ${problems.join('; ')}\n  replay: npm run soak:sigkill -- --seed ${seed} --rounds ${round + 1}\n`);
    } else passed++;
  }
  fs.rmSync(cache, { recursive: true, force: true });
  process.stdout.write(`soak: ${recovered} of the kills came mid-injection (the task put itself back)\n${passed} passed, ${failed} failed\n`);
  return failed ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write(`soak: ${(e as Error).stack ?? String(e)}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exit(2);
});
