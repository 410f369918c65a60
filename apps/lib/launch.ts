/**
 * Starts an app so that it is NOT a child of this Node process's child_process: a throwaway
 * /bin/bash backgrounds `setsid PROG...` and exits at once. The app becomes a session (and
 * process group) leader of its own, and an orphan that the kernel reparents to us (when we are
 * a child subreaper) or to init: libuv never knows its PID, so it cannot steal its wait events,
 * and the checkpointer (a separate process) may ptrace it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeExec, tailFile } from '../../zdtm/runner/exec';
import { run } from './exec';
import { readTask } from './proc';
import { AppFailure, pollFor } from './util';

/**
 * bash, not sh: it first closes every inherited fd above 2 (dash cannot name fds past 9). Node
 * hands its children whatever non-CLOEXEC fds it inherited itself; the app must not hold any
 * of the harness's surroundings.
 */
const LAUNCHER = [
  'log=$1; pidfile=$2; shift 2',
  'for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] 2>/dev/null && eval "exec $f>&-"; done',
  'setsid "$@" </dev/null >>"$log" 2>&1 & echo $! >"$pidfile"',
].join('\n');

export interface LaunchOptions {
  argv: string[];
  cwd: string;
  /** stdout and stderr of the app. */
  logFile: string;
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Returns the app's PID once it has exec'd the program as a session leader. */
export async function launchDetached(o: LaunchOptions): Promise<number> {
  const pidfile = path.join(o.cwd, `launch-${path.basename(o.argv[0])}.pid`);
  fs.rmSync(pidfile, { force: true });
  fs.appendFileSync(o.logFile, `$ setsid ${o.argv.join(' ')}\n`);
  const r = await run(['/bin/bash', '-c', LAUNCHER, 'launcher', o.logFile, pidfile, ...o.argv], {
    cwd: o.cwd,
    outputFile: o.logFile,
    timeoutMs: o.timeoutMs,
    env: o.env,
  });
  if (r.code !== 0) throw new AppFailure('start', `launcher failed: ${describeExec(r, o.timeoutMs)}`, [tailFile(o.logFile, 20)]);
  const pid = await pollFor(() => {
    try {
      const t = fs.readFileSync(pidfile, 'utf8').trim();
      return /^\d+$/.test(t) ? Number(t) : undefined;
    } catch {
      return undefined;
    }
  }, 2000);
  if (pid === undefined) throw new AppFailure('start', 'launcher wrote no pid');
  // setsid(1) execs the program in the same process once setsid(2) is done.
  const ok = await pollFor(() => {
    const t = readTask(pid);
    if (!t) return false;
    return t.sid === pid && t.comm !== 'setsid' && t.comm !== 'sh' ? true : undefined;
  }, 5000);
  if (ok !== true) throw new AppFailure('start', `app ${pid} did not start as a session leader running ${o.argv[0]}`, [tailFile(o.logFile, 20)]);
  return pid;
}
