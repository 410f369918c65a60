/**
 * `npm run fuzz`: mutated images fed to restore and to crit. Base images come from dumping a
 * few zdtm test programs; each iteration mutates one file of one base (fuzz/mutate.ts) and
 * then checks, in this process:
 *   - crit's decoder (the code behind `amber crit decode`) answers or throws a CritError or
 *     ImageError, never anything else;
 *   - restore's image reading (readImageSet, everything restore checks before creating a task)
 *     accepts the images or throws an ImageError/AmberError that names an image file;
 * and, for a sample of the mutated sets that restore's reading accepts, runs `amber restore`:
 * it must exit 0 (the tree is then killed) or 1 with an error in its log; never a signal, a
 * hang, a process left behind, or a file created outside the images directory.
 * Prints each finding with what reproduces it, then "N passed, N failed" (iterations).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AmberError, ImageError } from '../src/errors';
import { CritError, UnknownMagicError, decodeImageJson } from '../src/crit/codec';
import { readImageSet } from '../src/restore/read-images';
import { becomeSubreaper, defaultAmberBin, loadTests } from '../zdtm/runner';
import * as amber from '../zdtm/runner/amber';
import { startTest, testFiles } from '../zdtm/runner/program';
import { waitPidsFree } from '../zdtm/runner/reaper';
import { Rng, mutate } from './mutate';

interface Options {
  iterations: number;
  seed: number;
  restores: number;
  tests: string[];
  work: string;
  only?: number;
  json?: string;
}

const DEFAULT_TESTS = ['anon_private_pattern', 'pipe_across_tree', 'eventfd_counter', 'posix_timers', 'epoll_interest'];

function parseArgs(argv: string[]): Options {
  const o: Options = { iterations: 10_000, seed: Date.now() % 1_000_000, restores: 100, tests: DEFAULT_TESTS, work: '/dev/shm/amber-fuzz' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${a} needs a value`);
      return x;
    };
    if (a === '--iterations') o.iterations = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--restores') o.restores = Number(v());
    else if (a === '--tests') o.tests = v().split(',');
    else if (a === '--work') o.work = v();
    else if (a === '--only') o.only = Number(v());
    else if (a === '--json') o.json = v();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(`usage: npm run fuzz -- [--iterations N (10000)] [--seed S] [--restores N (100): CLI restores of accepted mutants]
  [--tests a,b (zdtm tests dumped as bases)] [--work DIR (/dev/shm/amber-fuzz)] [--only I: replay iteration I of --seed S] [--json FILE]\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(o.iterations) || o.iterations < 1) throw new Error('--iterations must be a positive integer');
  return o;
}

interface Base { name: string; dir: string; files: string[]; pids: number[] }

interface Finding { iteration: number; base: string; file: string; mutation: string; phase: string; problem: string }

/** Dumps each test program once (killing it): the images every iteration starts from. */
async function makeBases(o: Options): Promise<Base[]> {
  const all = loadTests();
  const bases: Base[] = [];
  for (const name of o.tests) {
    const meta = all.find((t) => t.name === name);
    if (!meta) throw new Error(`no zdtm test ${name}`);
    const work = path.join(o.work, `base-${name}`);
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(work, { recursive: true });
    const files = testFiles(work, name);
    const pid = await startTest(meta, files, 10_000);
    const dir = path.join(work, 'images');
    const r = await amber.dump({ bin: defaultAmberBin, dir, timeoutMs: 30_000 }, pid, { leaveRunning: false, extra: [] });
    if (r.code !== 0) throw new Error(`dumping ${name} for a base failed: see ${r.log}`);
    const pids = readImageSet(dir).processes.map((p) => p.pid);
    if ((await waitPidsFree(pids, 10_000)).length) throw new Error(`${name}: dumped tasks did not go away`);
    const imgs = fs.readdirSync(dir).filter((f) => f.endsWith('.img') && !f.startsWith('stats-'));
    bases.push({ name, dir, files: imgs, pids });
  }
  return bases;
}

/** An error is named when it says which image (file) it is about. */
function named(e: unknown): boolean {
  return (e instanceof ImageError || e instanceof AmberError) && /\.img\b|images directory|image/.test((e as Error).message);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return `non-Error thrown: ${String(e)}`;
  const at = e.stack?.split('\n').find((l) => l.includes('/src/'))?.trim() ?? '';
  return `${e.constructor.name}: ${e.message.split('\n')[0].slice(0, 300)} ${at}`;
}

function listing(): Set<string> {
  const out = new Set<string>();
  for (const d of ['/tmp', '/dev/shm', '/var/tmp']) {
    try {
      for (const f of fs.readdirSync(d)) out.add(path.join(d, f));
    } catch { /* absent */ }
  }
  return out;
}

/** How the CLI restores ended: restored, or refused (and the first error line of each). */
const outcomes = { restored: 0, refused: 0, reasons: new Map<string, number>() };

/** The real restore of an accepted mutant: exit 0 or 1, nothing left behind. */
async function restoreOracle(b: Base, work: string): Promise<string | undefined> {
  const before = listing();
  const pidfile = path.join(b.dir, 'fuzz-restore.pid');
  fs.rmSync(pidfile, { force: true });
  const r = await amber.restore({ bin: defaultAmberBin, dir: b.dir, timeoutMs: 30_000 }, pidfile, []);
  let problem: string | undefined;
  if (r.timedOut) problem = 'restore hung (30 s)';
  else if (r.signal) problem = `restore died of ${r.signal}`;
  else if (r.code !== 0 && r.code !== 1) problem = `restore exited ${r.code}`;
  else if (r.code === 1) {
    const log = fs.existsSync(r.log) ? fs.readFileSync(r.log, 'utf8') : '';
    const out = fs.readFileSync(r.output, 'utf8');
    const reason = /Error: (.*)/.exec(out)?.[1] ?? /Error[^\n]*/.exec(log)?.[0];
    if (!reason) problem = 'restore failed without an error message';
    // A JavaScript fault is amber not checking an image, not a refusal.
    else if (/\b(TypeError|RangeError|ReferenceError|SyntaxError)\b|Cannot read properties|is not a function|is not iterable|Invalid array length|Maximum call stack/.test(reason)) problem = `unchecked image: ${reason}`;
    else {
      outcomes.refused++;
      const key = reason.replace(/\d+/g, 'N').slice(0, 120);
      outcomes.reasons.set(key, (outcomes.reasons.get(key) ?? 0) + 1);
    }
  } else outcomes.restored++;
  // Whatever came back is killed; whatever failed must have left nothing.
  for (const pid of b.pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* not there */ }
  }
  const left = await waitPidsFree(b.pids, 10_000);
  if (left.length && !problem) problem = `tasks ${left.join(', ')} still there after restore (exit ${r.code})`;
  for (const f of listing()) {
    // gcc's temporaries (cc*.s, cc*.o): other work on a shared machine, not amber.
    if (!before.has(f) && !f.startsWith(work) && !/^cc\w{6}\./.test(path.basename(f)) && !problem) problem = `restore created ${f} outside the images directory`;
  }
  // The mutated images and the logs stay for a look.
  if (problem) fs.cpSync(b.dir, path.join(work, `finding-${b.name}-${Date.now()}`), { recursive: true });
  for (const f of fs.readdirSync(b.dir)) {
    if (/^(restore\.(log|out)|fuzz-restore\.pid|stats-restore(\.img)?)$/.test(f)) fs.rmSync(path.join(b.dir, f), { force: true });
  }
  return problem;
}

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('the fuzzer restores processes: run it as root');
  becomeSubreaper();
  fs.mkdirSync(o.work, { recursive: true, mode: 0o700 });
  const bases = await makeBases(o);
  const rng = new Rng(o.seed);
  const findings: Finding[] = [];
  let restores = 0;
  let accepted = 0;
  const t0 = Date.now();
  process.stdout.write(`fuzz: seed ${o.seed}, ${o.iterations} iterations over ${bases.map((b) => b.name).join(', ')}\n`);
  for (let it = 0; it < o.iterations; it++) {
    // The same draws whether or not an iteration is replayed: --only skips the checks, not the draws.
    const b = rng.pick(bases);
    const file = rng.pick(b.files);
    const full = path.join(b.dir, file);
    const original = fs.readFileSync(full);
    const m = mutate(rng, original, file, /^pages-/.test(file));
    if (o.only !== undefined && it !== o.only) continue;
    const found = (phase: string, problem: string) => {
      findings.push({ iteration: it, base: b.name, file, mutation: m.what, phase, problem });
      process.stdout.write(`FINDING ${it}: ${b.name}/${file} (${m.what}) in ${phase}: ${problem}\n  replay: npm run fuzz -- --seed ${o.seed} --tests ${o.tests.join(',')} --only ${it}\n`);
    };
    try {
      if (m.data === null) fs.rmSync(full);
      else fs.writeFileSync(full, m.data, { mode: 0o600 });
      if (m.data !== null) {
        try {
          decodeImageJson(m.data);
        } catch (e) {
          if (!(e instanceof CritError || e instanceof UnknownMagicError || e instanceof ImageError)) found('crit decode', describe(e));
        }
      }
      let ok = false;
      try {
        readImageSet(b.dir);
        ok = true;
      } catch (e) {
        if (!named(e)) found('restore reading images', describe(e));
      }
      if (ok) {
        accepted++;
        if (restores < o.restores || o.only !== undefined) {
          restores++;
          const problem = await restoreOracle(b, o.work);
          if (problem) found('amber restore', problem);
        }
      }
    } finally {
      fs.writeFileSync(full, original, { mode: 0o600 });
    }
  }
  const ran = o.only !== undefined ? 1 : o.iterations;
  const failedIts = new Set(findings.map((f) => f.iteration)).size;
  process.stdout.write(`fuzz: ${ran} iterations in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${accepted} mutants accepted by restore's reading, ${restores} of them restored by amber; ${findings.length} findings\n`);
  process.stdout.write(`restores: ${outcomes.restored} restored, ${outcomes.refused} refused; most common refusals:\n`);
  for (const [k, n] of [...outcomes.reasons].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${n} x ${k}\n`);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify({ seed: o.seed, iterations: ran, accepted, restores, findings }, null, 2));
  process.stdout.write(`${ran - failedIts} passed, ${failedIts} failed\n`);
  return failedIts ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
  process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
  process.stdout.write('0 passed, 1 failed\n');
  process.exit(2);
});
