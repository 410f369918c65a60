/**
 * Runs a command as a child process with a deadline, its output going to a file (never to a
 * pipe: a test program that daemonizes would keep the pipe open). On timeout the child gets
 * SIGKILL. libuv reaps it; the runner never waits for these PIDs itself.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { runnerNative } from './native';

const F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
let inheritedClosed = false;

/**
 * fds the runner inherited from whatever started it (a CI harness, a terminal tool) would pass
 * on to every test program, and be dumped as files of the test (a pipe whose other end is outside
 * the tree, which restore then rightly refuses). They are made close-on-exec once: Node's own fds
 * are already.
 */
function keepInheritedFdsFromChildren(): void {
  if (inheritedClosed) return;
  inheritedClosed = true;
  let n: ReturnType<typeof runnerNative>;
  try { n = runnerNative(); } catch { return; } // no build yet: nothing a test could be dumped with
  for (const name of fs.readdirSync('/proc/self/fd')) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = n.fcntl(fd, F_GETFD, 0);
      if (!(flags & FD_CLOEXEC)) n.fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    } catch { /* closed meanwhile (the readdir's own fd) */ }
  }
}

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Could not start at all (ENOENT, EACCES): the message. */
  spawnError?: string;
  ms: number;
}

export interface ExecOptions {
  cwd: string;
  /** stdout and stderr are appended here. */
  outputFile: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

export function execToFile(argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const t0 = Date.now();
  keepInheritedFdsFromChildren();
  const out = fs.openSync(opts.outputFile, 'a');
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const finish = (r: Omit<ExecResult, 'ms' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, timedOut, ms: Date.now() - t0 });
    };
    const child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('error', (e) => finish({ code: null, signal: null, spawnError: e.message }));
    child.on('exit', (code, signal) => finish({ code, signal }));
  });
}

/** "exit 1", "killed by SIGSEGV", "timed out after 30 s", "cannot run: ..." */
export function describeExec(r: ExecResult, timeoutMs: number): string {
  if (r.spawnError) return `cannot run: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.code}`;
}

/** The last lines of a text file, or a note saying why there is nothing. */
export function tailFile(file: string, lines = 40): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return `(${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message})`;
  }
  const all = text.replace(/\n$/, '').split('\n');
  const shown = all.slice(-lines);
  return (all.length > lines ? `... (${all.length - lines} lines before)\n` : '') + shown.join('\n');
}
