/**
 * Images both ways with upstream CRIU 4.2: for each program (one process, a tree of threaded
 * processes, a Node.js program), three cycles of amber dump -> CRIU restore -> CRIU dump ->
 * amber restore. After every restore the program must be alive with the same PIDs and threads,
 * its memory intact (a checksum it checks itself) and its counters running on from where the dump
 * left them; it reports through a file on SIGUSR2 (fixtures/interop-prog.c, interop-node.js).
 *
 * CRIU is CRIU_BIN, or ../shared/reference/criu-4.2/criu next to the repository (the reference
 * build of this machine kind). Skipped, saying why, without it, without root, or without a C
 * compiler. Every CRIU and amber run has a timeout; every program started is killed at the end.
 * Each tool dumps only what it restored itself: CRIU restores into a time namespace of its own,
 * which amber refuses to dump (namespaces are not carried yet; docs/images.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper, reapOnce, sleep, waitPidsFree } from '../../zdtm/runner/reaper';

const repoRoot = path.resolve(__dirname, '../..');
const criuBin = process.env.CRIU_BIN || path.resolve(repoRoot, '../shared/reference/criu-4.2/criu');
const amberBin = path.join(repoRoot, 'bin/amber');
const RUN_TIMEOUT_MS = 60_000;

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (CRIU and amber dump and restore as root)';
  if (!fs.existsSync(criuBin)) return `no CRIU at ${criuBin} (set CRIU_BIN)`;
  const v = spawnSync(criuBin, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (v.status !== 0) return `${criuBin} --version fails (run install-runtime.sh next to it): ${(v.stderr || v.error?.message || '').trim()}`;
  if (spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) return 'no C compiler (cc) for the test program';
  if (!fs.existsSync(path.join(repoRoot, 'dist/src/cli/main.js')) && !fs.existsSync(path.join(repoRoot, 'dist/amber.js'))) return 'amber is not built (npm run build)';
  return undefined;
}
const skipReason = whyNot();
if (skipReason) console.warn(`criu-interop: skipped: ${skipReason}`);

let work: string;
let prog: string;
/** PIDs of the programs a test started, killed and reaped after it. */
let started: number[] = [];

beforeAll(() => {
  if (skipReason) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-criu-interop-'));
  // Dumped and restored tasks end up ours: their zombies are reaped at once, their PIDs free again.
  becomeSubreaper();
  prog = path.join(work, 'interop-prog');
  const cc = spawnSync('cc', ['-O1', '-pthread', '-o', prog, path.join(__dirname, 'fixtures/interop-prog.c')], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`cc failed: ${cc.stderr}`);
});

afterEach(async () => {
  for (const pid of started) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await waitPidsFree(started, 5_000);
  started = [];
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Report { seq: number; pid: number; threads: number; counters: number[]; sumOk: boolean }

function readReport(file: string): Report | undefined {
  let line: string;
  try { line = fs.readFileSync(file, 'utf8').trim(); } catch { return undefined; }
  const f = line.split(' ');
  if (f.length < 5) return undefined;
  const threads = Number(f[2]);
  return { seq: Number(f[0]), pid: Number(f[1]), threads, counters: f.slice(3, 3 + threads).map(Number), sumOk: f[3 + threads] === 'sum-ok' };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Asks pid for a fresh report (SIGUSR2) and returns it. */
async function askReport(pid: number, file: string): Promise<Report> {
  const before = readReport(file)?.seq ?? 0;
  process.kill(pid, 'SIGUSR2');
  return until(`a report from ${pid} in ${file}`, () => {
    const r = readReport(file);
    return r && r.seq > before ? r : undefined;
  });
}

/** Starts argv in a session of its own, out of libuv's reach (setsid -f), with no fd but 0-2 (/dev/null). */
async function startProgram(argv: string[]): Promise<void> {
  const closeOthers = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null';
  const child = spawn('setsid', ['-f', 'bash', '-c', `${closeOthers}; exec "$@"`, 'interop', ...argv], { stdio: 'ignore', cwd: work });
  await new Promise((r) => child.on('exit', r));
}

interface Run { code: number | null; signal: NodeJS.Signals | null; out: string }

/**
 * Runs a tool to its end (killed after RUN_TIMEOUT_MS), reaping `pids` meanwhile: a dump kills
 * them, and their PIDs must be free for the restore that follows.
 */
async function run(cmd: string, args: string[], pids: number[]): Promise<Run> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const reaper = setInterval(() => pids.forEach((p) => reapOnce(p)), 10);
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  try {
    return await new Promise<Run>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out })));
  } finally {
    clearTimeout(timer);
    clearInterval(reaper);
  }
}

function log(dir: string, name: string): string {
  try { return fs.readFileSync(path.join(dir, name), 'utf8').split('\n').slice(-40).join('\n'); } catch { return ''; }
}

type Tool = 'amber' | 'criu';

async function dump(tool: Tool, rootPid: number, pids: number[], dir: string): Promise<void> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const args = ['dump', '-t', String(rootPid), '-D', dir, '-v4', '-o', 'dump.log'];
  const r = tool === 'amber' ? await run(process.execPath, [amberBin, ...args], pids) : await run(criuBin, args, pids);
  expect(r.code, `${tool} dump (signal ${r.signal}):\n${r.out}\n${log(dir, 'dump.log')}`).toBe(0);
  const left = await waitPidsFree(pids, 5_000);
  expect(left, `PIDs still taken after the ${tool} dump`).toEqual([]);
}

async function restore(tool: Tool, pids: number[], dir: string): Promise<void> {
  const args = ['restore', '-D', dir, '-d', '-v4', '-o', 'restore.log'];
  const r = tool === 'amber' ? await run(process.execPath, [amberBin, ...args], []) : await run(criuBin, args, []);
  expect(r.code, `${tool} restore (signal ${r.signal}):\n${r.out}\n${log(dir, 'restore.log')}`).toBe(0);
  started.push(...pids.filter((p) => !started.includes(p)));
}

function threadCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/task`).length;
}

interface Program {
  name: string;
  argv: (report: string) => string[];
  /** Report files, the root process's first; each names one process of the tree. */
  reports: (report: string) => string[];
  /** Threads of each process, as the kernel counts them (Node has its own helper threads). */
  minThreads: number;
}

const PROGRAMS: Program[] = [
  { name: 'a single process', argv: (r) => [prog, 'single', r], reports: (r) => [r], minThreads: 1 },
  { name: 'a tree of threaded processes', argv: (r) => [prog, 'tree', r], reports: (r) => [r, `${r}.child`], minThreads: 3 },
  { name: 'a Node.js program', argv: (r) => [process.execPath, path.join(__dirname, 'fixtures/interop-node.js'), r], reports: (r) => [r], minThreads: 1 },
];

describe.skipIf(skipReason !== undefined)('CRIU 4.2 interoperability', () => {
  for (const p of PROGRAMS) {
    it(`${p.name}: amber dump -> CRIU restore -> CRIU dump -> amber restore, three times`, async () => {
      const report = path.join(work, `${p.name.replace(/\W+/g, '-')}.report`);
      const files = p.reports(report);
      await startProgram(p.argv(report));
      const first = await Promise.all(files.map((f) => until(`the first report in ${f}`, () => readReport(f))));
      const pids = first.map((r) => r.pid);
      started.push(...pids);
      const threads = pids.map(threadCount);
      threads.forEach((n) => expect(n).toBeGreaterThanOrEqual(p.minThreads));
      const images = path.join(work, `${p.name.replace(/\W+/g, '-')}.img`);
      for (let cycle = 1; cycle <= 3; cycle++) {
        for (const [dumper, restorer] of [['amber', 'criu'], ['criu', 'amber']] as const) {
          await sleep(50);
          const before = await Promise.all(pids.map((pid, i) => askReport(pid, files[i])));
          const dir = `${images}-${cycle}-${dumper}`;
          await dump(dumper, pids[0], pids, dir);
          await restore(restorer, pids, dir);
          const where = `cycle ${cycle}, ${dumper} dump -> ${restorer} restore`;
          await sleep(100);
          for (const [i, pid] of pids.entries()) {
            const after = await askReport(pid, files[i]);
            expect(after.pid, where).toBe(pid);
            expect(after.sumOk, `${where}: memory checksum of ${pid}`).toBe(true);
            expect(after.seq, `${where}: report numbers of ${pid} go on`).toBe(before[i].seq + 1);
            expect(after.threads, where).toBe(before[i].threads);
            // Every thread runs on from where the dump left it.
            after.counters.forEach((c, t) => expect(c, `${where}: counter of thread ${t} of ${pid}`).toBeGreaterThan(before[i].counters[t]));
            expect(threadCount(pid), `${where}: threads of ${pid}`).toBe(threads[i]);
            expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]).toBe(p.argv(report)[0]);
          }
        }
      }
    }, 300_000);
  }
});

/**
 * Smoke tests, one kind of resource each (a Python program holding it): amber dump -> CRIU
 * restore, then CRIU dump -> amber restore; the tree must be back, same PIDs, in the same states.
 * What the resources hold is checked by amber's own zdtm tests; this says the images cross over.
 */
const PY = '/usr/bin/python3';
const RESOURCES: { name: string; code: string; tree?: boolean; opts?: string[] }[] = [
  { name: 'a regular file at an offset', code: "f=open('/etc/passwd'); f.read(10)" },
  { name: 'a pipe with queued bytes', code: 'r,w=os.pipe(); os.write(w,b"hello")' },
  { name: 'a unix socketpair with a message queued', code: 'a,b=socket.socketpair(); a.send(b"hi")' },
  { name: 'a listening TCP socket', code: "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen()" },
  { name: 'a bound UDP socket', code: "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',0))" },
  { name: 'a listening unix socket', code: "p=os.path.join(os.getcwd(),'l.sock')\nos.path.exists(p) and os.unlink(p)\ns=socket.socket(socket.AF_UNIX); s.bind(p); s.listen()" },
  { name: 'a FIFO with queued bytes', code: "p=os.path.join(os.getcwd(),'ff')\nos.path.exists(p) or os.mkfifo(p)\nfd=os.open(p,os.O_RDWR); os.write(fd,b'abc')" },
  { name: 'a memfd', code: "fd=os.memfd_create('x'); os.write(fd,b'data'*1000)" },
  { name: 'an eventfd', code: 'fd=os.eventfd(5)' },
  { name: 'an interval timer and a signal handler', code: 'signal.signal(signal.SIGALRM, lambda *a: None); signal.setitimer(signal.ITIMER_REAL, 500, 500)' },
  { name: 'a blocked pending signal', code: 'signal.pthread_sigmask(signal.SIG_BLOCK,[signal.SIGUSR1]); os.kill(os.getpid(), signal.SIGUSR1)' },
  { name: 'shared anonymous memory with a child', code: "import mmap\nm=mmap.mmap(-1,1<<16,mmap.MAP_SHARED); m[0:5]=b'hello'\nif os.fork()==0:\n  time.sleep(1000)", tree: true },
  { name: 'a zombie child', code: 'os.fork() or os._exit(3)', tree: true },
  { name: 'a stopped child', code: 'p=os.fork()\nif p==0:\n  os.kill(os.getpid(), signal.SIGSTOP); time.sleep(1000)', tree: true },
];

function procStateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe.skipIf(skipReason !== undefined || !fs.existsSync(PY))('CRIU 4.2 interoperability, one resource kind at a time', () => {
  for (const r of RESOURCES) {
    it(`${r.name}: amber dump -> CRIU restore -> CRIU dump -> amber restore`, async () => {
      const pidfile = path.join(work, 'py.pid');
      fs.rmSync(pidfile, { force: true });
      const code = `import os,sys,time,signal,socket\n${r.code}\nopen(sys.argv[1]+'.tmp','w').write(str(os.getpid())); os.rename(sys.argv[1]+'.tmp', sys.argv[1])\ntime.sleep(1000)`;
      await startProgram([PY, '-c', code, pidfile]);
      const pid = await until('the program to start', () => (fs.existsSync(pidfile) ? Number(fs.readFileSync(pidfile, 'utf8')) : undefined));
      started.push(pid);
      await sleep(50);
      const kids = r.tree ? childrenOf(pid) : [];
      const pids = [pid, ...kids];
      started.push(...kids);
      const states = pids.map(procStateOf);
      for (const [dumper, restorer] of [['amber', 'criu'], ['criu', 'amber']] as const) {
        const dir = path.join(work, `${r.name.replace(/\W+/g, '-')}-${dumper}`);
        await dump(dumper, pid, pids, dir);
        await restore(restorer, pids, dir);
        await sleep(100);
        expect(pids.map(procStateOf), `${dumper} dump -> ${restorer} restore: states of ${pids.join(', ')}`).toEqual(states);
        expect(childrenOf(pid).sort(), `${dumper} dump -> ${restorer} restore: children of ${pid}`).toEqual([...kids].sort());
      }
    }, 120_000);
  }
});
