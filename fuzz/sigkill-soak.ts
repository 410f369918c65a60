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

interface Shape { name: string; argv: (bin: { memhog: string; wide: string }) => string[] }

const SHAPES: Shape[] = [
  { name: 'memhog 128 MiB', argv: (b) => [b.memhog, '128'] },
  { name: '300 threads', argv: (b) => [b.wide, 'threads', '300'] },
  { name: 'tree of 30', argv: (b) => [b.wide, 'tree', '30'] },
];

/**
 * A dump --leave-running of pid, killed `killAfter(span)` ms after amber seized the task
 * (TracerPid, polled every millisecond): the moment counts from amber's work, not from Node's
 * start, which takes several times longer on a loaded machine. Resolves with how long amber
 * held the task before it exited or was killed.
 */
function dumpKilled(pid: number, dir: string, killAfter?: number): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir, '--leave-running', '-v4', '-o', 'dump.log'], { stdio: 'ignore' });
    let seized = 0;
    let timer: NodeJS.Timeout | undefined;
    const poll = setInterval(() => {
      let traced = false;
      try { traced = statusOf(pid).TracerPid !== '0'; } catch { /* gone */ }
      if (!traced || seized) return;
      seized = Date.now();
      clearInterval(poll);
      if (killAfter !== undefined) timer = setTimeout(() => p.kill('SIGKILL'), killAfter);
    }, 1);
    p.on('exit', () => {
      clearInterval(poll);
      if (timer) clearTimeout(timer);
      resolve(seized ? Date.now() - seized : 0);
    });
  });
}

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
  const start = (shape: Shape) => {
    const [cmd, ...rest] = shape.argv(bins);
    const started = spawnSync(cmd, rest, { encoding: 'utf8' });
    const pid = Number(started.stdout.trim());
    if (started.status !== 0 || !pid) throw new Error(`${shape.name} did not start: ${started.stderr}`);
    return pid;
  };
  const dir = path.join(cache, 'images');
  // How long amber holds each shape for a whole dump: the kills fall anywhere in it.
  const spans = new Map<Shape, number>();
  for (const shape of SHAPES) {
    const pid = start(shape);
    await new Promise((r) => setTimeout(r, 50));
    const tree = treeOf(pid);
    spans.set(shape, Math.max(5, await dumpKilled(pid, dir)));
    for (const task of tree) try { process.kill(task, 'SIGKILL'); } catch { /* gone */ }
    await waitPidsFree(tree, 10_000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`soak: amber holds ${SHAPES.map((sh) => `${sh.name} ${spans.get(sh)} ms`).join(', ')} for a whole dump\n`);
  for (let round = 0; round < rounds; round++) {
    const shape = rng.pick(SHAPES);
    const ms = rng.int(spans.get(shape)!);
    const pid = start(shape);
    await new Promise((r) => setTimeout(r, 50));
    const tree = treeOf(pid);
    const trapCaught = (BigInt(`0x${statusOf(pid).SigCgt}`) >> 4n) & 1n;
    await dumpKilled(pid, dir, ms);
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
      process.stdout.write(`FAIL round ${round} (${shape.name}, killed ${ms} ms after the seize): ${problems.join('; ')}\n  replay: npm run soak:sigkill -- --seed ${seed} --rounds ${round + 1}\n`);
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
