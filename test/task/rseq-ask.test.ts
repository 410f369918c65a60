// rseq on kernels without PTRACE_GET_RSEQ_CONFIGURATION (before 5.13): amber asks each thread
// with an injected rseq() (src/task/rseq.ts). Here, where the kernel can tell, every answer is
// checked against the kernel's, and the question must leave no registration behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const fixture = path.join(__dirname, '..', 'fixtures', 'rseq-ask.js');
const source = path.join(__dirname, '..', 'fixtures', 'rseq-threads.c');
const isRoot = process.getuid?.() === 0;
let dir = '';

interface Answer { area: string; size: number; sig: number }
interface Thread { tid: number; kernelBefore: Answer | null; asked?: Answer | null; error?: string; kernelAfter: Answer | null; areaZero: boolean }
interface Report { glibc: { offset: number; size: number } | null; threads: Thread[] }

async function ask(bin: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Report> {
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
      child.on('exit', (code) => reject(new Error(`${bin} exited ${code}`)));
    });
    const r = spawnSync(process.execPath, [fixture, String(child.pid)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Report;
  } finally {
    child.kill('SIGKILL');
  }
}

describe.skipIf(!isRoot)('rseq found by asking the thread (kernels before 5.13)', () => {
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-rseq-'));
    for (const [out, extra] of [['dynamic', []], ['static', ['-static']]] as const) {
      const r = spawnSync('gcc', ['-O2', '-pthread', ...extra, '-o', path.join(dir, out), source], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("finds glibc's registration of every thread, as the kernel reports it", async () => {
    const r = await ask(path.join(dir, 'dynamic'), []);
    expect(r.glibc?.size).toBeGreaterThan(0);
    expect(r.threads).toHaveLength(4);
    for (const t of r.threads) {
      expect(t.error).toBeUndefined();
      expect(t.kernelBefore).not.toBeNull();
      expect(t.asked).toEqual(t.kernelBefore);
      expect(t.kernelAfter).toEqual(t.kernelBefore);
    }
    // Four threads, four areas.
    expect(new Set(r.threads.map((t) => t.asked!.area)).size).toBe(4);
  });

  it('answers none for threads without one, and the question registers nothing for good', async () => {
    const r = await ask(path.join(dir, 'dynamic'), [], { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' });
    expect(r.glibc?.size).toBe(0);
    for (const t of r.threads) expect(t).toMatchObject({ kernelBefore: null, asked: null, kernelAfter: null });
  });

  it('refuses a thread whose area is not glibc\'s, naming it, and leaves its registration as it was', async () => {
    const r = await ask(path.join(dir, 'dynamic'), ['own'], { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' });
    const own = r.threads.filter((t) => t.kernelBefore !== null);
    expect(own).toHaveLength(1);
    expect(own[0].error).toMatch(new RegExp(`task ${own[0].tid}: rseq: it has an rseq area other than glibc's`));
    expect(own[0].kernelAfter).toEqual(own[0].kernelBefore);
    for (const t of r.threads.filter((x) => x !== own[0])) expect(t).toMatchObject({ asked: null, kernelAfter: null });
  });

  it("asks a task without glibc's symbols with amber's own area: none, put back to zeros; or refused", async () => {
    const off = await ask(path.join(dir, 'static'), [], { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' });
    expect(off.glibc).toBeNull();
    for (const t of off.threads) expect(t).toMatchObject({ kernelBefore: null, asked: null, kernelAfter: null, areaZero: true });
    // A static glibc registers rseq where amber cannot see its symbols: refused, not dropped.
    const on = await ask(path.join(dir, 'static'), []);
    for (const t of on.threads) {
      expect(t.kernelBefore).not.toBeNull();
      expect(t.error).toMatch(/it has an rseq area of its own/);
      expect(t.kernelAfter).toEqual(t.kernelBefore);
    }
  });
});
