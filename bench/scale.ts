/**
 * The scale workloads of `npm run bench --scale`: costs that grow with the number of objects
 * rather than bytes. One fixture (bench/fixtures/wide.c) holds N objects of one kind: child
 * processes, threads, fds or VMAs, each kind at two sizes, so that the rows show whether the
 * time per object stays flat as N grows tenfold.
 *
 * A run is the socket workloads' run (start, dump, wait for the PIDs, restore, check off the
 * clock, kill), except that a tree has many PIDs: all of them must be free before the restore,
 * and all of them are killed and reaped afterwards. SIGUSR1 makes the fixture check that all
 * its objects came back as they were and exit 0, 3 otherwise. See docs/bench.md.
 */
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFixture, childrenOf, killAndReapSession, threadsOf, verifyDaemon, waitFree } from './proc';
import { fmt, markdown, median, MiB, ratio, ratioRow, sig3, spread, table, type Medians , times as runTimes, verdict as runVerdict } from './report';
import { dump, imageBytes, readDumpStats, removePages, restore, type Invocation, type Tool } from './tools';

type Family = 'tree' | 'threads' | 'fds' | 'vmas';

interface ScaleKind {
  name: string;
  family: Family;
  /** Objects the fixture makes: children, threads besides the main one, fds besides 0-2, mappings. */
  n: number;
}

const FAMILIES: { family: Family; sizes: [number, number]; label: (n: number) => string; unit: string; differs: string }[] = [
  { family: 'tree', sizes: [100, 1000], label: (n) => `tree ${n} procs`, unit: 'process', differs: 'TREE DIFFERS' },
  { family: 'threads', sizes: [100, 1000], label: (n) => `${n} threads`, unit: 'thread', differs: 'THREADS DIFFER' },
  { family: 'fds', sizes: [1000, 10000], label: (n) => `${n} fds`, unit: 'fd', differs: 'FDS DIFFER' },
  { family: 'vmas', sizes: [1000, 10000], label: (n) => `${n} VMAs`, unit: 'VMA', differs: 'VMAS DIFFER' },
];

export const SCALE_FAMILIES: string[] = FAMILIES.map((f) => f.family);

export const SCALE_KINDS: ScaleKind[] = FAMILIES.flatMap((f) => f.sizes.map((n) => ({ name: f.label(n), family: f.family, n })));

const familyOf = (k: ScaleKind): (typeof FAMILIES)[number] => FAMILIES.find((f) => f.family === k.family)!;

export interface ScaleRun {
  run: number;
  pid: number;
  /** Every task of the tree (the leader first), or the process's TIDs: what must be free before a restore. */
  tasks: number;
  dumpMs: number;
  frozenMs?: number;
  /** From the end of the dump until every PID (TID) was free. */
  pidsFreeMs?: number;
  restoreMs?: number;
  imageBytes: number;
  restoredPid?: number;
  /** 'ok', e.g. 'FDS DIFFER', how it died, or 'skipped'. */
  verify?: string;
}

export interface ScaleToolResult {
  tool: string;
  command: string[];
  runs: ScaleRun[];
  failure?: { run: number; phase: 'start' | 'dump' | 'wait' | 'restore'; reason: string; logTail?: string[] };
}

export interface ScaleWorkload extends ScaleKind {
  tools: ScaleToolResult[];
}

/** What the runs borrow from bench/main.ts. */
export interface ScaleBench {
  runs: number;
  verify: boolean;
  cache: string;
  runsDir: string;
  /** Pauses before a timed step, and throws once the benchmark is interrupted. */
  settle: () => Promise<void>;
  /** PIDs to kill should the benchmark die. */
  live: Set<number>;
  log: (s: string) => void;
}

export function buildWide(cacheDir: string): string {
  return buildFixture(cacheDir, 'wide', ['-pthread']);
}

/** Starts the fixture; returns its daemon's PID once every object is in place. */
function startWide(bin: string, k: ScaleKind): number {
  const args = [k.family, String(k.n)];
  const r = child_process.spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`wide ${args.join(' ')}: ${r.error.message}`);
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`wide ${args.join(' ')} failed (status ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return pid;
}

/**
 * The PIDs of the workload as the dump will find it: the leader and its children, or the
 * TIDs of its threads. Checked against N so that a row never measures a half-built workload.
 */
function tasksOf(k: ScaleKind, pid: number): number[] {
  const ids = k.family === 'tree' ? [pid, ...childrenOf(pid)] : k.family === 'threads' ? threadsOf(pid) : [pid];
  const want = k.family === 'tree' || k.family === 'threads' ? k.n + 1 : 1;
  if (ids.length !== want) throw new Error(`wide ${k.family} ${k.n}: found ${ids.length} tasks, expected ${want}`);
  return ids;
}

function failed(inv: Invocation, run: number, phase: 'dump' | 'restore'): ScaleToolResult['failure'] {
  return { run, phase, reason: inv.failure ?? 'failed', logTail: inv.logTail };
}

async function oneRun(tool: Tool, w: ScaleWorkload, res: ScaleToolResult, run: number, bin: string, b: ScaleBench): Promise<string> {
  const dir = path.join(b.runsDir, `wide-${w.family}${w.n}-${tool.name}-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const pid = startWide(bin, w);
  b.live.add(pid);
  // The fixture is its own session leader: its session is how its tasks are told from
  // unrelated processes that might take a PID of theirs once it is free.
  let ids = [pid];
  try {
    ids = tasksOf(w, pid);
    // Threads die with their process; the children of a tree must each be killed.
    if (w.family === 'tree') for (const id of ids) b.live.add(id);
    await b.settle();
    const d = dump(tool, pid, dir);
    if (!d.ok) {
      res.failure = failed(d, run, 'dump');
      return `dump failed: ${res.failure?.reason}`;
    }
    const stats = readDumpStats(dir);
    const rec: ScaleRun = { run, pid, tasks: ids.length, dumpMs: d.ms, frozenMs: stats && stats.frozenUs / 1000, imageBytes: imageBytes(dir).total };
    res.runs.push(rec);
    // The dump killed them all, and the children of a tree came to us (the subreaper) as
    // zombies: reap each by its PID, and wait for every TID to be free, for the restore needs them.
    const t0 = process.hrtime.bigint();
    const deadline = Date.now() + 60_000;
    for (const id of ids) {
      if ((await waitFree(id, Math.max(0, deadline - Date.now()))) === undefined) {
        res.failure = { run, phase: 'wait', reason: `PID ${id} still taken 60 s after the dump (did the dump leave it running?)` };
        return res.failure.reason;
      }
    }
    rec.pidsFreeMs = Number(process.hrtime.bigint() - t0) / 1e6;
    await b.settle();
    const pidfile = path.join(dir, 'restore.pid');
    const r = restore(tool, dir, pidfile);
    if (!r.ok) {
      res.failure = failed(r, run, 'restore');
      return `restore failed: ${res.failure?.reason}`;
    }
    rec.restoreMs = r.ms;
    try {
      rec.restoredPid = Number(fs.readFileSync(pidfile, 'utf8').trim());
    } catch {
      /* no pidfile: reported below */
    }
    if (rec.restoredPid !== pid) rec.verify = `pidfile says ${rec.restoredPid ?? 'nothing'}, expected ${pid}`;
    else rec.verify = b.verify ? await verifyDaemon(pid, 120_000, familyOf(w).differs) : 'skipped';
    return `dump ${fmt(rec.dumpMs)} ms, frozen ${fmt(rec.frozenMs)} ms, restore ${fmt(rec.restoreMs)} ms, image ${fmt(rec.imageBytes / MiB, 1)} MiB, check ${rec.verify}`;
  } finally {
    await killAndReapSession(ids, pid, 60_000);
    for (const id of ids) b.live.delete(id);
    // A tree of 1000 leaves over 100 MiB of pages a run, on tmpfs as often as not.
    removePages(dir);
  }
}

/** Every scale workload, each tool in turn within a run, as for memhog. */
export async function runScale(tools: Tool[], b: ScaleBench, families?: string[]): Promise<ScaleWorkload[]> {
  const bin = buildWide(b.cache);
  const kinds = SCALE_KINDS.filter((k) => !families || families.includes(k.family));
  const workloads: ScaleWorkload[] = kinds.map((k) => ({ ...k, tools: tools.map((t) => ({ tool: t.name, command: t.argv, runs: [] })) }));
  for (const w of workloads) {
    for (let run = 1; run <= b.runs; run++) {
      for (let t = 0; t < tools.length; t++) {
        const res = w.tools[t];
        if (res.failure) continue;
        let what: string;
        try {
          what = await oneRun(tools[t], w, res, run, bin, b);
        } catch (e) {
          // A workload that cannot be set up (e.g. an rlimit too low) fails its row, not the benchmark.
          if (e instanceof Error && e.message === 'interrupted') throw e;
          res.failure = { run, phase: 'start', reason: e instanceof Error ? e.message : String(e) };
          what = `failed: ${res.failure.reason}`;
        }
        b.log(`${w.name} ${tools[t].name} run ${run}/${b.runs}: ${what}`);
      }
    }
  }
  return workloads;
}

const times = (res: ScaleToolResult, f: (r: ScaleRun) => number | undefined): number[] => runTimes(res.runs, f);
const verdict = (res: ScaleToolResult): string => runVerdict(res.runs);

function medians(res: ScaleToolResult): Medians | undefined {
  const restores = times(res, (r) => r.restoreMs);
  if (restores.length === 0) return undefined;
  return { dump: median(times(res, (r) => r.dumpMs)), restore: median(restores), frozen: median(times(res, (r) => r.frozenMs)) };
}

export const SCALE_HEADER = ['workload', 'tool', 'dump ms', 'restore ms', 'dump ms/object', 'restore ms/object', 'frozen ms', 'image MiB', 'check'];

/**
 * One row per workload and tool: medians (min–max), the medians over N (the time per object,
 * fixed cost included), and after amber and CRIU a row of amber's medians over CRIU's.
 */
export function scaleRows(workloads: ScaleWorkload[]): string[][] {
  const rows: string[][] = [];
  for (const w of workloads) {
    const byTool = new Map<string, Medians>();
    for (const res of w.tools) {
      const m = medians(res);
      if (res.failure && !m) {
        rows.push([w.name, res.tool, `FAILED (${res.failure.phase}): ${res.failure.reason}`]);
        continue;
      }
      if (!m) continue;
      byTool.set(res.tool, m);
      const image = median(times(res, (r) => r.imageBytes));
      rows.push([
        w.name,
        res.tool,
        spread(times(res, (r) => r.dumpMs)),
        spread(times(res, (r) => r.restoreMs)),
        sig3(m.dump !== undefined ? m.dump / w.n : undefined),
        sig3(m.restore !== undefined ? m.restore / w.n : undefined),
        fmt(m.frozen, 1),
        fmt(image !== undefined ? image / MiB : undefined, 1),
        verdict(res) + (res.failure ? `; later FAILED (${res.failure.phase}): ${res.failure.reason}` : ''),
      ]);
    }
    const a = byTool.get('amber');
    const c = byTool.get('criu');
    if (a && c) rows.push(ratioRow(w.name, a, c));
  }
  return rows;
}

/**
 * Per family and tool, the cost of one more object between the two sizes: (median at the
 * large N − median at the small N) / (ΔN). Flat means this is about the rows' ms/object.
 */
export function marginalLines(workloads: ScaleWorkload[]): string[] {
  const lines: string[] = [];
  for (const f of FAMILIES) {
    const [small, large] = f.sizes.map((n) => workloads.find((w) => w.family === f.family && w.n === n));
    if (!small || !large) continue;
    const per = new Map<string, { dump?: number; restore?: number }>();
    for (const [t, res] of small.tools.entries()) {
      const a = medians(res);
      const b = medians(large.tools[t]);
      if (!a || !b) continue;
      const d = (x?: number, y?: number): number | undefined => (x !== undefined && y !== undefined ? (y - x) / (large.n - small.n) : undefined);
      per.set(res.tool, { dump: d(a.dump, b.dump), restore: d(a.restore, b.restore) });
    }
    if (per.size === 0) continue;
    const parts = [...per].map(([tool, m]) => `${tool} dump ${sig3(m.dump)}, restore ${sig3(m.restore)}`);
    const a = per.get('amber');
    const c = per.get('criu');
    if (a && c) parts.push(`amber/criu ${ratio(a.dump, c.dump)} / ${ratio(a.restore, c.restore)}`);
    lines.push(`${f.family} ${small.n} → ${large.n}: ms per extra ${f.unit}: ${parts.join('; ')}`);
  }
  return lines;
}

export function scaleTable(workloads: ScaleWorkload[]): string {
  return table(SCALE_HEADER, scaleRows(workloads));
}

export function scaleMarkdown(workloads: ScaleWorkload[]): string {
  return markdown(SCALE_HEADER, scaleRows(workloads));
}

/** Whether amber failed a scale workload or, when checked, brought one back different. */
export function amberFailedScale(workloads: ScaleWorkload[], verify: boolean): boolean {
  return workloads.some((w) =>
    w.tools.some((r) => r.tool === 'amber' && (r.failure !== undefined || (verify && !verdict(r).startsWith('ok')))),
  );
}
