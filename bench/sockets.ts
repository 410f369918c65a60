/**
 * The socket workloads of `npm run bench`: one process (bench/fixtures/sockets.c) holding 1,000
 * AF_UNIX stream socketpairs, or 1,000 established loopback TCP connections with both ends in
 * it, each with a few bytes queued both ways. What they cost is per socket, not per byte, so
 * their rows read like the fixed cost: dump and restore ms, and amber/CRIU when CRIU runs.
 *
 * A run is memhog's run (start, dump, wait for the PID, restore, check off the clock, kill)
 * with the fixture's own check: SIGUSR1 makes it read back the queued bytes and pass a token
 * each way on every pair, exit 0 when all are intact, 3 otherwise. See docs/bench.md.
 */
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildFixture, killAndReap, verifyDaemon, waitFree } from './proc';
import { fmt, median, MiB, ratioRow, spread , times as runTimes, verdict as runVerdict } from './report';
import { dump, imageBytes, readDumpStats, restore, type Invocation, type Tool } from './tools';

interface SocketKind {
  name: string;
  /** The fixture's arguments. */
  args: string[];
  /** Options both tools need, on dump and on restore. */
  toolArgs: string[];
}

const KINDS: SocketKind[] = [
  { name: '1000 unix pairs', args: ['unix', '1000'], toolArgs: [] },
  // Established connections are refused without --tcp-established, by CRIU and amber alike.
  // No network lock: both ends are in the dumped process, so no peer is left to send anything
  // between dump and restore. And CRIU 4.2 cannot lock 1,000 connections here: its default
  // (iptables) needs a binary this machine lacks, and with nftables it aborts (docs/bench.md).
  { name: '1000 TCP conns', args: ['tcp', '1000'], toolArgs: ['--tcp-established', '--network-lock', 'skip'] },
];

export interface SocketRun {
  run: number;
  pid: number;
  dumpMs: number;
  frozenMs?: number;
  restoreMs?: number;
  imageBytes: number;
  restoredPid?: number;
  /** 'ok', 'SOCKETS DIFFER', how it died, or 'skipped'. */
  verify?: string;
}

export interface SocketToolResult {
  tool: string;
  command: string[];
  runs: SocketRun[];
  failure?: { run: number; phase: 'dump' | 'wait' | 'restore'; reason: string; logTail?: string[] };
}

export interface SocketWorkload extends SocketKind {
  tools: SocketToolResult[];
}

/** What the runs borrow from bench/main.ts. */
export interface SocketBench {
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

/** Builds bench/fixtures/sockets.c into cacheDir when the binary is missing or older than the source. */
export function buildSockets(cacheDir: string): string {
  return buildFixture(cacheDir, 'sockets');
}

/** Starts the fixture; returns its daemon's PID once every socket is open and its bytes queued. */
function startSockets(bin: string, args: string[]): number {
  const r = child_process.spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`sockets ${args.join(' ')}: ${r.error.message}`);
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`sockets ${args.join(' ')} failed (status ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return pid;
}

/** SIGUSR1 and the verdict, as verifyMemhog; exit 3 means a socket lost bytes or its peer. */
function verifySockets(pid: number, timeoutMs = 60_000): Promise<string> {
  return verifyDaemon(pid, timeoutMs, 'SOCKETS DIFFER');
}

function failed(inv: Invocation, run: number, phase: 'dump' | 'restore'): SocketToolResult['failure'] {
  return { run, phase, reason: inv.failure ?? 'failed', logTail: inv.logTail };
}

async function oneRun(tool: Tool, w: SocketWorkload, res: SocketToolResult, run: number, bin: string, b: SocketBench): Promise<string> {
  const dir = path.join(b.runsDir, `${w.args.join('')}-${tool.name}-${run}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const pid = startSockets(bin, w.args);
  b.live.add(pid);
  try {
    await b.settle();
    const d = dump(tool, pid, dir, w.toolArgs);
    if (!d.ok) {
      res.failure = failed(d, run, 'dump');
      return `dump failed: ${res.failure?.reason}`;
    }
    const stats = readDumpStats(dir);
    const rec: SocketRun = { run, pid, dumpMs: d.ms, frozenMs: stats && stats.frozenUs / 1000, imageBytes: imageBytes(dir).total };
    res.runs.push(rec);
    if ((await waitFree(pid, 30_000)) === undefined) {
      res.failure = { run, phase: 'wait', reason: `PID ${pid} still taken 30 s after the dump (did the dump leave it running?)` };
      return res.failure.reason;
    }
    await b.settle();
    const pidfile = path.join(dir, 'restore.pid');
    const r = restore(tool, dir, pidfile, w.toolArgs);
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
    else rec.verify = b.verify ? await verifySockets(pid) : 'skipped';
    return `dump ${fmt(rec.dumpMs)} ms, frozen ${fmt(rec.frozenMs)} ms, restore ${fmt(rec.restoreMs)} ms, image ${fmt(rec.imageBytes / MiB, 1)} MiB, sockets ${rec.verify}`;
  } finally {
    await killAndReap(pid);
    b.live.delete(pid);
  }
}

/** Every socket workload, each tool in turn within a run, as for memhog. */
export async function runSockets(tools: Tool[], b: SocketBench): Promise<SocketWorkload[]> {
  const bin = buildSockets(b.cache);
  const workloads: SocketWorkload[] = KINDS.map((k) => ({ ...k, tools: tools.map((t) => ({ tool: t.name, command: t.argv, runs: [] })) }));
  for (const w of workloads) {
    for (let run = 1; run <= b.runs; run++) {
      for (let t = 0; t < tools.length; t++) {
        const res = w.tools[t];
        if (res.failure) continue;
        b.log(`${w.name} ${tools[t].name} run ${run}/${b.runs}: ${await oneRun(tools[t], w, res, run, bin, b)}`);
      }
    }
  }
  return workloads;
}

const times = (res: SocketToolResult, f: (r: SocketRun) => number | undefined): number[] => runTimes(res.runs, f);
const verdict = (res: SocketToolResult): string => runVerdict(res.runs);

/**
 * Rows for bench/main.ts's table (workload, tool, dump ms, restore ms, dump GiB/s, restore
 * GiB/s, frozen ms, image MiB, check): no GiB/s, as for the fixed cost, and after amber and
 * CRIU a row of amber's medians over CRIU's, when both restored.
 */
export function socketRows(workloads: SocketWorkload[]): string[][] {
  const rows: string[][] = [];
  for (const w of workloads) {
    const medians = new Map<string, { dump?: number; restore?: number; frozen?: number }>();
    for (const res of w.tools) {
      const restores = times(res, (r) => r.restoreMs);
      if (res.failure && restores.length === 0) {
        rows.push([w.name, res.tool, `FAILED (${res.failure.phase}): ${res.failure.reason}`]);
        continue;
      }
      const m = { dump: median(times(res, (r) => r.dumpMs)), restore: median(restores), frozen: median(times(res, (r) => r.frozenMs)) };
      const image = median(times(res, (r) => r.imageBytes));
      medians.set(res.tool, m);
      rows.push([
        w.name,
        res.tool,
        spread(times(res, (r) => r.dumpMs)),
        spread(restores),
        '-',
        '-',
        fmt(m.frozen, 1),
        fmt(image !== undefined ? image / MiB : undefined, 1),
        verdict(res) + (res.failure ? `; later FAILED (${res.failure.phase}): ${res.failure.reason}` : ''),
      ]);
    }
    const a = medians.get('amber');
    const c = medians.get('criu');
    if (a && c) rows.push(ratioRow(w.name, a, c));
  }
  return rows;
}

/** Whether amber failed a socket workload or, when checked, left a socket that differs. */
export function amberFailedSockets(workloads: SocketWorkload[], verify: boolean): boolean {
  return workloads.some((w) =>
    w.tools.some((r) => r.tool === 'amber' && (r.failure !== undefined || (verify && !verdict(r).startsWith('ok')))),
  );
}
