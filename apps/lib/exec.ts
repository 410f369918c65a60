/**
 * Runs a helper command (amber, a launcher) as a child with a deadline, its output appended to
 * a file (never a pipe: whatever it leaves behind could hold a pipe open). The child gets its
 * own process group, so a timeout or an interrupt kills all it started (SIGKILL to the group).
 * Every running one is tracked, so that cleanup can tell our helpers from orphaned app tasks
 * that were reparented to us as subreaper.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import type { ExecResult } from '../../zdtm/runner/exec';

export type { ExecResult };

const running = new Set<number>();

/** The PIDs of the helpers running now. */
export function runningHelpers(): ReadonlySet<number> {
  return running;
}

export function killRunningHelpers(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

export interface RunOptions {
  cwd: string;
  outputFile: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

export function run(argv: string[], opts: RunOptions): Promise<ExecResult> {
  const t0 = Date.now();
  const out = fs.openSync(opts.outputFile, 'a');
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    let pid: number | undefined;
    const finish = (r: Omit<ExecResult, 'ms' | 'timedOut'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (pid !== undefined) running.delete(pid);
      resolve({ ...r, timedOut, ms: Date.now() - t0 });
    };
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    pid = child.pid;
    if (pid !== undefined) running.add(pid);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (pid !== undefined) process.kill(-pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', (e) => finish({ code: null, signal: null, spawnError: e.message }));
    child.on('exit', (code, signal) => {
      // The group may hold more than the child (a helper's own helpers): they go too.
      try {
        if (pid !== undefined && timedOut) process.kill(-pid, 'SIGKILL');
      } catch {
        // nothing left
      }
      finish({ code, signal });
    });
  });
}
