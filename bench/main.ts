/**
 * `npm run bench`: how fast amber dumps and restores a process, against the disk and memory
 * speeds of the machine, and side by side with CRIU: CRIU_BIN, else the reference CRIU 4.2
 * next to the repository (../shared/reference/criu-4.2/criu) when it is there (--no-criu: none).
 *
 * Workloads: memhog (bench/fixtures/memhog.c) holding N MiB of written anonymous memory, for
 * each size of --sizes, and holding none (the fixed cost of a dump and a restore). Each run
 * starts the program, dumps it (which kills it), waits until its PID is free, restores it
 * detached, checks its memory (off the clock) and kills it. Then the socket workloads of
 * bench/sockets.ts (--no-sockets skips them, --sockets-only runs nothing else), and with
 * --scale the per-object workloads of bench/scale.ts. See docs/bench.md.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diskWriteMs, memoryFillMs } from './baseline';
import { bullets, checkDocs, commandLine, writeDocs } from './docs';
import { becomeSubreaper, buildMemhog, freePageReporting, killAndReap, ROOT, SIGKILL, signal, sleep, startMemhog, verifyMemhog, waitFree } from './proc';
import { fmt, gibps, markdown, median, MiB, ratio, ratioRow, spread, table } from './report';
import { amberFailedScale, marginalLines, runScale, SCALE_FAMILIES, scaleMarkdown, scaleTable, type ScaleWorkload } from './scale';
import { amberFailedSockets, runSockets, socketRows, type SocketWorkload } from './sockets';
import {
  amberTool,
  criuTool,
  criuVersion,
  referenceCriu,
  REFERENCE_CRIU,
  removePages,
  dump,
  imageBytes,
  readDumpStats,
  readRestoreUs,
  restore,
  type DumpStats,
  type Invocation,
  type Tool,
} from './tools';

interface Options {
  sizes: number[];
  runs: number;
  dir: string;
  cache: string;
  json?: string;
  verify: boolean;
  markdown: boolean;
  /** Pause before every timed step, so that each starts on memory the VM has handed back. */
  settleMs: number;
  /** Which groups of workloads run. */
  memhog: boolean;
  sockets: boolean;
  scale: boolean;
  /** The scale families that run (tree, threads, fds, vmas); all by default. */
  scaleKinds?: string[];
  /** Whether CRIU runs side by side (CRIU_BIN, else the reference CRIU when it is there). */
  criu: boolean;
  writeDocs: boolean;
  /** The files --write-docs writes into. */
  docs: string[];
}

const USAGE = `usage: npm run bench -- [options]
  --sizes LIST   memhog sizes in MiB, comma-separated (default 1024); a 0 MiB run is always added
  --runs N       runs per workload and tool (default 5)
  --dir DIR      where the images go (default /var/tmp/amber-bench; e.g. /dev/shm for tmpfs)
  --cache DIR    where the fixtures (memhog, sockets, wide) are built (default /tmp/amber-bench/bin)
  --json FILE    also write every number to FILE
  --no-verify    do not check the restored process (SIGUSR1 to the fixture) after each restore
  --settle MS    pause before every timed step (default 2000; see docs/bench.md), 0 for none
  --markdown     also print the tables as Markdown
  --no-sockets   skip the socket workloads (1000 unix socketpairs, 1000 loopback TCP connections)
  --sockets-only run only the socket workloads (with --scale-only: those and the scale ones)
  --scale        also run the scale workloads: a tree of 100 and 1000 processes, 100 and 1000
                 threads, 1000 and 10000 fds, 1000 and 10000 VMAs, with ms per object
  --scale-only   run only the scale workloads
  --scale-kinds LIST  only these scale families, comma-separated: tree, threads, fds, vmas
  --no-criu      do not run CRIU side by side
  --write-docs   put this run's tables between <!-- bench:begin --> and <!-- bench:end --> in
                 README.md and docs/bench.md
  --docs FILES   the files --write-docs writes, comma-separated (default README.md,docs/bench.md)
environment: CRIU_BIN=/path/to/criu is the CRIU run side by side; unset, it is the reference
  CRIU 4.2 at ${path.relative(process.cwd(), REFERENCE_CRIU) || REFERENCE_CRIU} when that exists and is executable`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    sizes: [1024],
    runs: 5,
    dir: '/var/tmp/amber-bench',
    cache: '/tmp/amber-bench/bin',
    verify: true,
    markdown: false,
    settleMs: 2000,
    memhog: true,
    sockets: true,
    scale: false,
    criu: true,
    writeDocs: false,
    docs: [path.join(ROOT, 'README.md'), path.join(ROOT, 'docs', 'bench.md')],
  };
  let noSockets = false;
  let socketsOnly = false;
  let scale = false;
  let scaleOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    switch (a) {
      case '--sizes':
        o.sizes = value()
          .split(',')
          .filter((s) => s.trim() !== '')
          .map((s) => {
            const n = Number(s);
            if (!Number.isInteger(n) || n < 0) throw new Error(`--sizes: bad size '${s}'`);
            return n;
          });
        break;
      case '--runs':
        o.runs = Number(value());
        if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs: needs a positive integer');
        break;
      case '--dir':
        o.dir = path.resolve(value());
        break;
      case '--cache':
        o.cache = path.resolve(value());
        break;
      case '--json':
        o.json = path.resolve(value());
        break;
      case '--settle':
        o.settleMs = Number(value());
        if (!Number.isFinite(o.settleMs) || o.settleMs < 0) throw new Error('--settle: needs milliseconds');
        break;
      case '--no-verify':
        o.verify = false;
        break;
      case '--markdown':
        o.markdown = true;
        break;
      case '--no-sockets':
        noSockets = true;
        break;
      case '--sockets-only':
        socketsOnly = true;
        break;
      case '--scale':
        scale = true;
        break;
      case '--scale-only':
        scaleOnly = true;
        break;
      case '--scale-kinds':
        o.scaleKinds = value().split(',').filter((k) => k.trim() !== '');
        for (const k of o.scaleKinds) if (!SCALE_FAMILIES.includes(k)) throw new Error(`--scale-kinds: no family '${k}' (${SCALE_FAMILIES.join(', ')})`);
        break;
      case '--no-criu':
        o.criu = false;
        break;
      case '--write-docs':
        o.writeDocs = true;
        break;
      case '--docs':
        o.docs = value()
          .split(',')
          .filter((f) => f.trim() !== '')
          .map((f) => path.resolve(f));
        if (o.docs.length === 0) throw new Error('--docs: needs at least one file');
        break;
      case '-h':
      case '--help':
        console.log(USAGE);
        process.exit(0);
      // eslint-disable-next-line no-fallthrough
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  // An -only names the groups that run; without one, memhog and sockets run and --scale adds.
  const only = socketsOnly || scaleOnly;
  o.memhog = !only;
  o.sockets = only ? socketsOnly : !noSockets;
  o.scale = scaleOnly || scale;
  return o;
}

interface RunRecord {
  run: number;
  pid: number;
  dumpMs: number;
  /** From the end of the dump until the PID was free again (reaped). */
  pidFreeMs?: number;
  restoreMs?: number;
  dumpStats?: DumpStats;
  /** restore_time of stats-restore, µs. */
  restoreStatsUs?: number;
  imageBytes: number;
  pagesBytes: number;
  restoredPid?: number;
  /** 'ok', 'MEMORY DIFFERS', how it died, or 'skipped'. */
  verify?: string;
}

interface ToolFailure {
  run: number;
  phase: 'dump' | 'wait' | 'restore';
  reason: string;
  logTail?: string[];
}

interface ToolSummary {
  runs: number;
  dumpMs?: number;
  restoreMs?: number;
  frozenMs?: number;
  freezingMs?: number;
  memdumpMs?: number;
  restoreStatsMs?: number;
  imageBytes?: number;
  pagesBytes?: number;
  dumpGiBps?: number;
  restoreGiBps?: number;
  /** Throughput net of the fixed cost (the 0 MiB workload of the same tool). */
  dumpNetGiBps?: number;
  restoreNetGiBps?: number;
  verified: string;
}

interface ToolResult {
  tool: string;
  command: string[];
  runs: RunRecord[];
  failure?: ToolFailure;
  summary?: ToolSummary;
}

interface Workload {
  name: string;
  mib: number;
  bytes: number;
  baselines?: { diskWriteMs: number[]; memoryFillMs: number[] };
  tools: ToolResult[];
}

const live = new Set<number>();
let interrupted = false;

function checkInterrupt(): void {
  if (interrupted) throw new Error('interrupted');
}

/**
 * Waits settleMs before a timed step. On a VM whose balloon reports free pages to the host
 * (virtio-balloon free page reporting), memory freed more than about a second ago is given
 * back and is slow to touch again, while memory freed just now is still fast: without a pause,
 * whichever step runs right after a big free is favoured. After it, every step starts cold.
 */
async function settle(o: Options): Promise<void> {
  checkInterrupt();
  if (o.settleMs > 0) await sleep(o.settleMs);
  checkInterrupt();
}

function failed(inv: Invocation, run: number, phase: ToolFailure['phase']): ToolFailure {
  return { run, phase, reason: inv.failure ?? 'failed', logTail: inv.logTail };
}

/**
 * One run of one tool. With `baselines`, the baselines are measured in the state of the
 * machine that the step they stand for sees: the disk write while the workload runs, just
 * before its dump; the memory fill after the dump, just before the restore.
 */
async function oneRun(
  tool: Tool,
  w: Workload,
  res: ToolResult,
  run: number,
  memhog: string,
  runsDir: string,
  o: Options,
  baselines?: { diskWriteMs: number[]; memoryFillMs: number[] },
): Promise<string> {
  const dir = path.join(runsDir, `${w.mib}MiB-${tool.name}-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });

  const pid = startMemhog(memhog, w.mib);
  live.add(pid);
  let base = '';
  try {
    if (baselines) {
      await settle(o);
      const ms = diskWriteMs(runsDir, w.bytes);
      baselines.diskWriteMs.push(ms);
      base += `baseline disk write ${fmt(ms)} ms; `;
    }
    await settle(o);
    const d = dump(tool, pid, dir);
    if (!d.ok) {
      res.failure = failed(d, run, 'dump');
      return `dump failed: ${res.failure.reason}`;
    }
    const sizes = imageBytes(dir);
    const rec: RunRecord = { run, pid, dumpMs: d.ms, dumpStats: readDumpStats(dir), imageBytes: sizes.total, pagesBytes: sizes.pages };
    res.runs.push(rec);

    const t0 = process.hrtime.bigint();
    const end = await waitFree(pid, 30_000);
    if (end === undefined) {
      res.failure = { run, phase: 'wait', reason: `PID ${pid} still taken 30 s after the dump (did the dump leave it running?)` };
      return res.failure.reason;
    }
    rec.pidFreeMs = Number(process.hrtime.bigint() - t0) / 1e6;
    if (baselines) {
      await settle(o);
      const ms = memoryFillMs(w.bytes);
      baselines.memoryFillMs.push(ms);
      base += `baseline memory fill ${fmt(ms)} ms; `;
    }
    await settle(o);

    const pidfile = path.join(dir, 'restore.pid');
    const r = restore(tool, dir, pidfile);
    if (!r.ok) {
      res.failure = failed(r, run, 'restore');
      return `restore failed: ${res.failure.reason}`;
    }
    rec.restoreMs = r.ms;
    rec.restoreStatsUs = readRestoreUs(dir);
    try {
      rec.restoredPid = Number(fs.readFileSync(pidfile, 'utf8').trim());
    } catch {
      /* no pidfile: reported below */
    }
    if (rec.restoredPid !== pid) {
      rec.verify = `pidfile says ${rec.restoredPid ?? 'nothing'}, expected ${pid}`;
    } else if (o.verify) {
      rec.verify = await verifyMemhog(pid);
    } else {
      rec.verify = 'skipped';
    }
    const stats = rec.dumpStats ? `, frozen ${fmt(rec.dumpStats.frozenUs / 1000)} ms` : '';
    return `${base}dump ${fmt(rec.dumpMs)} ms${stats}, restore ${fmt(rec.restoreMs)} ms, image ${fmt(rec.imageBytes / MiB, 1)} MiB, memory ${rec.verify}`;
  } finally {
    await killAndReap(pid);
    live.delete(pid);
    removePages(dir);
  }
}

function summarize(res: ToolResult, fixed: ToolSummary | undefined): ToolSummary {
  const runs = res.runs;
  const m = (f: (r: RunRecord) => number | undefined): number | undefined =>
    median(runs.map(f).filter((x): x is number => x !== undefined));
  const restored = runs.filter((r) => r.restoreMs !== undefined);
  const s: ToolSummary = {
    runs: runs.length,
    dumpMs: m((r) => r.dumpMs),
    restoreMs: m((r) => r.restoreMs),
    frozenMs: m((r) => (r.dumpStats ? r.dumpStats.frozenUs / 1000 : undefined)),
    freezingMs: m((r) => (r.dumpStats ? r.dumpStats.freezingUs / 1000 : undefined)),
    memdumpMs: m((r) => (r.dumpStats ? r.dumpStats.memdumpUs / 1000 : undefined)),
    restoreStatsMs: m((r) => (r.restoreStatsUs !== undefined ? r.restoreStatsUs / 1000 : undefined)),
    imageBytes: m((r) => r.imageBytes),
    pagesBytes: m((r) => r.pagesBytes),
    verified: '',
  };
  s.dumpGiBps = gibps(s.imageBytes, s.dumpMs);
  s.restoreGiBps = gibps(s.imageBytes, s.restoreMs);
  if (fixed && s.imageBytes !== undefined && fixed.imageBytes !== undefined) {
    const extra = s.imageBytes - fixed.imageBytes;
    if (s.dumpMs !== undefined && fixed.dumpMs !== undefined) s.dumpNetGiBps = gibps(extra, s.dumpMs - fixed.dumpMs);
    if (s.restoreMs !== undefined && fixed.restoreMs !== undefined) s.restoreNetGiBps = gibps(extra, s.restoreMs - fixed.restoreMs);
  }
  const checked = restored.filter((r) => r.verify !== 'skipped');
  const ok = checked.filter((r) => r.verify === 'ok').length;
  if (checked.length === 0) s.verified = restored.length ? 'not checked' : '-';
  else if (ok === checked.length) s.verified = `ok ${ok}/${checked.length}`;
  else s.verified = `${checked.find((r) => r.verify !== 'ok')?.verify} (${checked.length - ok}/${checked.length})`;
  return s;
}

function mountOf(dir: string): string {
  try {
    const real = fs.realpathSync(dir);
    let best = { point: '', fs: '?', source: '' };
    for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const [pre, post] = line.split(' - ');
      if (!post) continue;
      const point = pre.split(' ')[4].replace(/\\040/g, ' ');
      const inside = point === '/' || real === point || real.startsWith(`${point}/`);
      if (inside && point.length >= best.point.length) best = { point, fs: post.split(' ')[0], source: post.split(' ')[1] };
    }
    return `${best.fs} on ${best.source}`;
  } catch {
    return '?';
  }
}

/**
 * The CRIU to run side by side: CRIU_BIN, else the reference CRIU when it is there and runs.
 * A reference CRIU that does not run (its shared libraries missing) is left out with a word
 * why; an explicit CRIU_BIN is always run, and its failures show in the table.
 */
function pickCriu(o: Options, log: (s: string) => void): { bin: string; version?: string } | undefined {
  if (!o.criu) return undefined;
  const explicit = process.env.CRIU_BIN;
  const bin = explicit || referenceCriu();
  if (!bin) {
    log(`no CRIU side by side: CRIU_BIN is unset and there is no executable ${REFERENCE_CRIU}`);
    return undefined;
  }
  const v = criuVersion(bin);
  if (v.error && !explicit) {
    log(`no CRIU side by side: the reference ${bin} does not run (${v.error}); bash ${path.join(path.dirname(bin), 'install-runtime.sh')} installs what it needs`);
    return undefined;
  }
  return { bin, version: v.version };
}

/** The amber and criu entries of a list of per-tool results, when both are there. */
function pair<T extends { tool: string }>(xs: T[]): [T, T] | undefined {
  const a = xs.find((x) => x.tool === 'amber');
  const c = xs.find((x) => x.tool === 'criu');
  return a && c ? [a, c] : undefined;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const o = parseArgs(args);
  // Before the run, not after it: a missing marker should not cost a whole benchmark.
  if (o.writeDocs) checkDocs(o.docs);
  const log = (s: string): void => void process.stderr.write(`${s}\n`);
  becomeSubreaper();
  const memhog = o.memhog ? buildMemhog(o.cache) : '';
  fs.mkdirSync(o.dir, { recursive: true });
  const runsDir = path.join(o.dir, 'amber-bench-runs');
  fs.rmSync(runsDir, { recursive: true, force: true });
  fs.mkdirSync(runsDir, { recursive: true });

  const tools: Tool[] = [amberTool()];
  const criu = pickCriu(o, log);
  if (criu) tools.push(criuTool(criu.bin));

  const sizes = o.memhog ? [0, ...o.sizes.filter((s) => s > 0)].filter((s, i, a) => a.indexOf(s) === i) : [];
  const workloads: Workload[] = sizes.map((mib) => ({
    name: mib === 0 ? 'tiny (0 MiB)' : `${mib} MiB`,
    mib,
    bytes: mib * MiB,
    baselines: mib > 0 ? { diskWriteMs: [], memoryFillMs: [] } : undefined,
    tools: tools.map((t) => ({ tool: t.name, command: t.argv, runs: [] })),
  }));

  const machine = {
    cpus: os.cpus().length,
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    kernel: os.release(),
    node: process.version,
    imagesDir: o.dir,
    imagesFs: mountOf(o.dir),
    freePageReporting: freePageReporting(),
    criu: criu ? { bin: criu.bin, version: criu.version } : undefined,
  };
  const date = new Date();
  log(`amber bench: ${machine.cpus} CPUs, ${machine.memGiB} GiB, kernel ${machine.kernel}, node ${machine.node}`);
  log(`free page reporting to the host: ${machine.freePageReporting}; settle ${o.settleMs} ms before each timed step`);
  log(`images in ${o.dir} (${machine.imagesFs}); ${o.runs} runs; tools: ${tools.map((t) => `${t.name} (${t.argv.join(' ')})`).join(', ')}`);

  for (const w of workloads) {
    for (let run = 1; run <= o.runs; run++) {
      checkInterrupt();
      for (let t = 0; t < tools.length; t++) {
        const res = w.tools[t];
        if (res.failure) continue;
        // The baselines ride along with the first tool (amber) that still runs.
        const withBaselines = w.baselines && w.tools.findIndex((r) => !r.failure) === t ? w.baselines : undefined;
        const what = await oneRun(tools[t], w, res, run, memhog, runsDir, o, withBaselines);
        log(`${w.name} ${tools[t].name} run ${run}/${o.runs}: ${what}`);
      }
    }
  }
  const borrowed = { runs: o.runs, verify: o.verify, cache: o.cache, runsDir, settle: () => settle(o), live, log };
  const sockets: SocketWorkload[] = o.sockets ? await runSockets(tools, borrowed) : [];
  const scale: ScaleWorkload[] = o.scale ? await runScale(tools, borrowed, o.scaleKinds) : [];

  for (const w of workloads) {
    w.tools.forEach((res, t) => {
      const fixed = w.mib > 0 ? workloads[0].tools[t].summary : undefined;
      res.summary = summarize(res, fixed);
    });
  }

  // The table.
  const header = ['workload', 'tool', 'dump ms', 'restore ms', 'dump GiB/s', 'restore GiB/s', 'frozen ms', 'image MiB', 'memory check'];
  const rows: string[][] = [];
  for (const w of workloads) {
    const big = w.mib > 0;
    for (const res of w.tools) {
      const s = res.summary;
      if (res.failure && (!s || s.restoreMs === undefined)) {
        rows.push([w.name, res.tool, `FAILED (${res.failure.phase}): ${res.failure.reason}`]);
        continue;
      }
      if (!s) continue;
      rows.push([
        w.name,
        res.tool,
        spread(res.runs.map((r) => r.dumpMs)),
        spread(res.runs.flatMap((r) => (r.restoreMs !== undefined ? [r.restoreMs] : []))),
        big ? fmt(s.dumpGiBps, 2) : '-',
        big ? fmt(s.restoreGiBps, 2) : '-',
        fmt(s.frozenMs, 1),
        fmt(s.imageBytes !== undefined ? s.imageBytes / MiB : undefined, 1),
        s.verified + (res.failure ? `; later FAILED (${res.failure.phase}): ${res.failure.reason}` : ''),
      ]);
    }
    const both = pair(w.tools);
    if (both && both.every((r) => r.summary?.restoreMs !== undefined)) {
      const m = (s?: ToolSummary): { dump?: number; restore?: number; frozen?: number } => ({ dump: s?.dumpMs, restore: s?.restoreMs, frozen: s?.frozenMs });
      rows.push(ratioRow(w.name, m(both[0].summary), m(both[1].summary)));
    }
    if (w.baselines) {
      const disk = median(w.baselines.diskWriteMs);
      const mem = median(w.baselines.memoryFillMs);
      rows.push([w.name, 'disk write', spread(w.baselines.diskWriteMs), '', fmt(gibps(w.bytes, disk), 2), '', '', fmt(w.mib, 1), 'baseline for dump']);
      rows.push([w.name, 'memory fill', '', spread(w.baselines.memoryFillMs), '', fmt(gibps(w.bytes, mem), 2), '', fmt(w.mib, 1), 'baseline for restore']);
    }
  }
  rows.push(...socketRows(sockets));

  // The lines under the table: fixed cost and throughput net of it, per tool, then amber/criu.
  const notes: string[] = [];
  for (const [t, tool] of tools.entries()) {
    const f = workloads[0]?.tools[t].summary;
    if (f && f.restoreMs !== undefined) {
      notes.push(`fixed cost (${tool.name}, 0 MiB process): dump ${fmt(f.dumpMs)} ms, restore ${fmt(f.restoreMs)} ms`);
    }
    for (const w of workloads.slice(1)) {
      const s = w.tools[t].summary;
      if (s && (s.dumpNetGiBps !== undefined || s.restoreNetGiBps !== undefined)) {
        notes.push(`  ${w.name} net of fixed cost: dump ${fmt(s.dumpNetGiBps, 2)} GiB/s, restore ${fmt(s.restoreNetGiBps, 2)} GiB/s`);
      }
    }
  }
  const fixedPair = workloads[0] && pair(workloads[0].tools);
  if (fixedPair) {
    const [a, c] = fixedPair.map((r) => r.summary);
    if (a?.restoreMs !== undefined && c?.restoreMs !== undefined) {
      notes.push(`fixed cost amber/criu: dump ${ratio(a.dumpMs, c.dumpMs)}, restore ${ratio(a.restoreMs, c.restoreMs)} (ratio of medians)`);
    }
    for (const w of workloads.slice(1)) {
      const both = pair(w.tools);
      const [as, cs] = both ? both.map((r) => r.summary) : [];
      if (as && cs && (as.dumpNetGiBps !== undefined || as.restoreNetGiBps !== undefined)) {
        notes.push(
          `  ${w.name} net of fixed cost amber/criu: dump ${ratio(as.dumpNetGiBps, cs.dumpNetGiBps)}, restore ${ratio(as.restoreNetGiBps, cs.restoreNetGiBps)} (ratio of GiB/s: below 1, amber is slower)`,
        );
      }
    }
  }
  const marginal = marginalLines(scale);

  const criuWhat = criu ? `CRIU ${criu.version ?? '(version unknown)'} (${criu.bin})` : 'no CRIU';
  const out: string[] = [];
  out.push('');
  out.push(`${machine.cpus} CPUs, ${machine.memGiB} GiB, kernel ${machine.kernel}; images in ${o.dir} (${machine.imagesFs}); amber and ${criuWhat}`);
  out.push(`median (min–max) of ${o.runs} runs; GiB/s = image bytes / median wall time`);
  out.push(`free page reporting: ${machine.freePageReporting}; ${o.settleMs} ms pause before each timed step`);
  if (rows.length > 0) {
    out.push('');
    out.push(table(header, rows));
  }
  if (notes.length > 0) {
    out.push('');
    out.push(...notes);
  }
  if (scale.length > 0) {
    out.push('');
    out.push('scale: ms/object = median / N (the fixed cost included)');
    out.push(scaleTable(scale));
    if (marginal.length > 0) {
      out.push('');
      out.push(...marginal);
    }
  }
  console.log(out.join('\n'));

  const md: string[] = [];
  if (rows.length > 0) md.push(markdown(header, rows));
  if (notes.length > 0) md.push(bullets(notes));
  if (scale.length > 0) md.push(scaleMarkdown(scale));
  if (marginal.length > 0) md.push(bullets(marginal));
  if (o.markdown) console.log(`\n${md.join('\n\n')}`);

  if (o.writeDocs) {
    const what =
      `Measured with \`${commandLine(args, process.env.CRIU_BIN || undefined)}\` on ${date.toISOString().slice(0, 10)}: ` +
      `${machine.cpus} CPUs, ${machine.memGiB} GiB, kernel ${machine.kernel}, Node ${machine.node}; images in \`${o.dir}\` (${machine.imagesFs}); ` +
      `amber against ${criu ? `CRIU ${criu.version ?? '?'}` : 'no CRIU'}; median (min–max) of ${o.runs} runs, ${o.settleMs} ms settle, free page reporting ${machine.freePageReporting}.`;
    writeDocs(o.docs, [what, ...md].join('\n\n'));
    log(`wrote the tables into ${o.docs.map((f) => path.relative(process.cwd(), f) || f).join(', ')}`);
  }

  if (o.json) {
    fs.mkdirSync(path.dirname(o.json), { recursive: true });
    const json = { date: date.toISOString(), machine, options: o, workloads, sockets, scale };
    fs.writeFileSync(o.json, `${JSON.stringify(json, null, 2)}\n`);
    log(`wrote ${o.json}`);
  }

  const amberBad = workloads.some((w) =>
    w.tools.some((r) => r.tool === 'amber' && (r.failure !== undefined || (o.verify && !r.summary?.verified.startsWith('ok')))),
  );
  return amberBad || amberFailedSockets(sockets, o.verify) || amberFailedScale(scale, o.verify) ? 1 : 0;
}

process.on('SIGINT', () => {
  interrupted = true;
});
process.on('SIGTERM', () => {
  interrupted = true;
});
process.on('exit', () => {
  for (const pid of live) signal(pid, SIGKILL);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    for (const pid of live) signal(pid, SIGKILL);
    console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 2;
  },
);
