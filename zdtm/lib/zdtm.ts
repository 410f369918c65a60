/**
 * zdtm.ts: the TypeScript twin of zdtm/lib/zdtm.{h,c} for zdtm tests that run under Node
 * (zdtm/static/NAME.ts, compiled to dist/zdtm/static/NAME.js and started as
 * `node dist/zdtm/static/NAME.js --pidfile=P --outfile=O`). Same protocol as the C tests
 * (docs/zdtm-tests.md):
 *
 * - init() parses the options (exit 2 without --pidfile/--outfile) and daemonizes: the
 *   launched process (the launcher) spawns itself again, detached (a new session), with
 *   stdin /dev/null (read-only), stdout and stderr the outfile (append) and a pipe as fd 3.
 *   The launcher exits 0 when a NUL byte arrives on the pipe, or 1 (copying what came and
 *   how the test ended to its stderr) when the pipe closes first.
 * - In the test, init() installs a SIGTERM listener that only sets a flag (and wakes
 *   waitForTerm()), and reports uncaught exceptions as FAIL.
 * - ready() writes the pidfile (temporary file renamed over it), the NUL byte, and closes
 *   the pipe: the test then holds no fd it did not open itself (Node's own excepted).
 * - Verdict lines go to the outfile: LOG:, ERROR: (failed checks), and last PASS or FAIL.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';

const ROLE_ENV = 'AMBER_ZDTM_TS_ROLE';
const READY_FD = 3;

let pidfile = '';
let outfile = '';
let readyOpen = false;
let termFlag = false;
let failures = 0;
let termWaiters: Array<() => void> = [];
const options = new Map<string, string>();

function caller(): string {
  const stack = new Error().stack?.split('\n') ?? [];
  // 0 "Error", 1 caller(), 2 the zdtm function, 3 the test
  const line = stack[3] ?? '';
  const m = /\(?([^\s()]+):(\d+):\d+\)?$/.exec(line);
  return m ? `${path.basename(m[1])}:${m[2]}` : 'unknown:0';
}

function emit(text: string, toLauncher: boolean): void {
  const line = `${text}\n`;
  try {
    fs.writeSync(1, line);
  } catch {
    // nowhere else to report
  }
  if (toLauncher && readyOpen) {
    try {
      fs.writeSync(READY_FD, line);
    } catch {
      // the launcher is gone
    }
  }
}

export function log(msg: string): void {
  emit(`LOG: ${msg}`, false);
}

let verdict = false;

export function pass(): never {
  verdict = true;
  emit('PASS', false);
  process.exit(0);
}

export function fail(msg: string, where: string = caller()): never {
  verdict = true;
  emit(`FAIL: ${where}: ${msg}`, true);
  process.exit(1);
}

/** true if cond holds; otherwise prints ERROR with the caller's place and counts a failure. */
export function check(cond: boolean, msg: string | (() => string)): boolean {
  if (!cond) {
    failures++;
    emit(`ERROR: ${caller()}: ${typeof msg === 'function' ? msg() : msg}`, true);
  }
  return cond;
}

export function failureCount(): number {
  return failures;
}

/** PASS if no check failed, else FAIL with the count. */
export function finish(): never {
  if (failures) fail(`${failures} check(s) failed`, caller());
  pass();
}

export function opt(name: string): string | undefined {
  return options.get(name);
}

export function termRequested(): boolean {
  return termFlag;
}

/** Resolves once SIGTERM has arrived (at once if it already has). */
export function waitForTerm(): Promise<void> {
  if (termFlag) return Promise.resolve();
  // A signal listener does not keep Node's event loop alive: a timer does, meanwhile.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolve) =>
    termWaiters.push(() => {
      clearInterval(keepAlive);
      resolve();
    }),
  );
}

/** DIR/PROG.name, DIR being the outfile's directory and PROG the script's name. */
export function tmpPath(name: string): string {
  const prog = path.basename(process.argv[1] ?? 'zdtm', '.js');
  return path.join(path.dirname(outfile), `${prog}.${name}`);
}

export function ready(): void {
  if (!readyOpen) fail('ready() without init() or called twice');
  const tmp = `${pidfile}.tmp.${process.pid}`;
  fs.writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
  fs.renameSync(tmp, pidfile);
  fs.writeSync(READY_FD, Buffer.from([0]));
  fs.closeSync(READY_FD);
  readyOpen = false;
}

function usageExit(why: string): never {
  const prog = path.basename(process.argv[1] ?? 'zdtm');
  process.stderr.write(`${prog}: ${why}\nusage: ${prog} --pidfile=PATH --outfile=PATH [--key=value ...]\n`);
  process.exit(2);
}

function launcher(args: string[]): void {
  const out = fs.openSync(outfile, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o644);
  const nul = fs.openSync('/dev/null', 'r');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...args], {
    detached: true,
    stdio: [nul, out, out, 'pipe'],
    env: { ...process.env, [ROLE_ENV]: 'test' },
  });
  fs.closeSync(out);
  fs.closeSync(nul);
  const chunks: Buffer[] = [];
  let done = false;
  const pipe = child.stdio[READY_FD] as NodeJS.ReadableStream;
  pipe.on('data', (d: Buffer) => {
    if (done) return;
    const i = d.indexOf(0);
    if (i >= 0) {
      done = true;
      process.exit(0);
    }
    chunks.push(d);
  });
  pipe.on('close', () => {
    if (done) return;
    done = true;
    const prog = path.basename(process.argv[1] ?? 'zdtm');
    process.stderr.write(`${prog}: test failed before it was ready\n${Buffer.concat(chunks).toString()}`);
    const t = setTimeout(() => process.exit(1), 5000);
    child.on('exit', (code, sig) => {
      clearTimeout(t);
      process.stderr.write(sig ? `${prog}: killed by signal ${sig}\n` : `${prog}: exited with status ${code}\n`);
      process.exit(1);
    });
  });
  child.on('error', (e) => {
    process.stderr.write(`cannot start the test: ${e.message}\n`);
    process.exit(1);
  });
}

/**
 * Options and daemonizing. In the launcher this never returns (the process exits once the
 * test is ready); in the test it returns and the test sets up its state.
 */
export async function init(): Promise<void> {
  const args = process.argv.slice(2);
  for (const a of args) {
    const m = /^--([^=]+)=(.*)$/.exec(a);
    if (!m) continue;
    if (m[1] === 'pidfile') pidfile = path.resolve(m[2]);
    else if (m[1] === 'outfile') outfile = path.resolve(m[2]);
    else options.set(m[1], m[2]);
  }
  if (!pidfile || !outfile) usageExit('--pidfile and --outfile are required');
  if (process.env[ROLE_ENV] !== 'test') {
    launcher(args);
    await new Promise<never>(() => {
      // the launcher ends through process.exit()
    });
  }
  delete process.env[ROLE_ENV];
  readyOpen = true;
  process.on('SIGTERM', () => {
    termFlag = true;
    const w = termWaiters;
    termWaiters = [];
    for (const f of w) f();
  });
  process.on('exit', (code) => {
    if (!verdict) emit(`FAIL: node: the test ended (status ${code}) without a verdict`, true);
  });
  process.on('uncaughtException', (e) => fail(`uncaught exception: ${e.stack ?? e}`, 'node'));
  process.on('unhandledRejection', (e) => fail(`unhandled rejection: ${(e as Error)?.stack ?? e}`, 'node'));
}

// ---- patterns and checksums (32-bit arithmetic: fast enough for hundreds of MiB) ----

/** A 32-bit mixer (murmur3's finalizer). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Word i (of 4 bytes, counted from the object's start) of the pattern for seed. */
export function patternWord(seed: number, i: number): number {
  return mix32((Math.imul(i, 0x9e3779b1) ^ mix32(seed + 0x632be5ab)) >>> 0);
}

/** Fills buf (its length a multiple of 4) with the pattern (little-endian words), word i being word first + i. */
export function fill(buf: Uint8Array, seed: number, first = 0): void {
  if (buf.byteOffset & 3) {
    const d = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < buf.byteLength >>> 2; i++) d.setUint32(i * 4, patternWord(seed, first + i), true);
    return;
  }
  const w = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  for (let i = 0; i < w.length; i++) w[i] = patternWord(seed, first + i);
}

/** -1 if buf holds the pattern, else the byte offset of the first bad word. */
export function verify(buf: Uint8Array, seed: number, first = 0): number {
  if (buf.byteOffset & 3) {
    const d = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < buf.byteLength >>> 2; i++) if (d.getUint32(i * 4, true) !== patternWord(seed, first + i)) return i * 4;
    return -1;
  }
  const w = new Uint32Array(buf.buffer, buf.byteOffset, buf.byteLength >>> 2);
  for (let i = 0; i < w.length; i++) if (w[i] !== patternWord(seed, first + i)) return i * 4;
  return -1;
}

/** FNV-1a, 32 bits. */
export function fnv32(buf: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < buf.length; i++) h = Math.imul(h ^ buf[i], 0x01000193);
  return h >>> 0;
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
