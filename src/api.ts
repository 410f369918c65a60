/**
 * amber as a library: `import { dump, restore, check } from 'amber-cr'`. Each call has its own
 * logger (its log file closed when the call ends), progress listener and action hook: nothing is
 * kept between calls, so one service process can serve request after request.
 *
 * The engine is synchronous (ptrace must be driven from the thread that attached); a call runs
 * on a later turn of the event loop and settles its promise when the engine is done.
 * Cancellation (AbortSignal) is honoured at CRIU's action points: a dump cancelled there fails
 * and the tree runs on untouched; a restore cancelled before its tasks run leaves nothing behind.
 */
import * as fs from 'node:fs';
import { writeManifest } from './images/manifest';
import * as path from 'node:path';
import { dump as engineDump, DumpOptions, DumpResult } from './dump/dump';
import { restore as engineRestore, RestoreOptions, RestoreResult } from './restore/restore';
import { openLog, Logger, silentLogger } from './log';
import { AmberError, UnsupportedError } from './errors';
import type { ActionHook, ActionName } from './actions';
import type { ProgressListener } from './progress';
import { NO_SOCKET_OPTIONS, SocketOptions } from './files/types';
import { ExternalFiles } from './files/external';

export type { DumpResult, RestoreResult, ActionName, SocketOptions };

/** What every call takes besides its own options. */
export interface CallOptions {
  /** Images directory (created 0700 by dump). */
  imagesDir: string;
  /** 0 (nothing) .. 4 (debug), as -v; default 2. */
  logLevel?: number;
  /** Log file (absolute, or relative to imagesDir); "-" for stderr; default: none. */
  logFile?: string;
  /** Called at each of CRIU's action points; a throw fails the call there. */
  onAction?: (action: ActionName, pid: number) => void;
  /** Bytes of memory done so far. */
  onProgress?: ProgressListener;
  /** Cancels the call at its next action point. */
  signal?: AbortSignal;
}

export interface DumpCall extends CallOptions {
  pid: number;
  leaveRunning?: boolean;
  leaveStopped?: boolean;
  shellJob?: boolean;
  fileLocks?: boolean;
  linkRemap?: boolean;
  /** Write amber-checksums.json (SHA-256 of every image) once the tree runs again; restore verifies it. */
  imageChecksums?: boolean;
  ghostLimit?: number;
  /** CRIU's --external keys (file[MNTID:INODE], tty[RDEV:DEV]). */
  external?: string[];
  sockets?: Partial<SocketOptions>;
  /** Seconds freezing may take (default 10, as CRIU; 0: no limit). */
  timeout?: number;
}

export interface RestoreCall extends CallOptions {
  /** Detached: the promise settles once the tree runs (default). Else once its root exits. */
  detached?: boolean;
  leaveStopped?: boolean;
  shellJob?: boolean;
  sockets?: Partial<SocketOptions>;
  pidfile?: string;
}

/** The error a cancelled call rejects with. */
export class AbortedError extends AmberError {
  constructor(readonly action: ActionName) {
    super(`cancelled at ${action}`);
  }
}

/** A library writes no log unless asked to: no logFile, no log (not even on stderr). */
function logFor(o: CallOptions): Logger {
  const level = o.logLevel ?? 2;
  if (!Number.isInteger(level) || level < 0 || level > 4) throw new RangeError(`logLevel ${level}: 0..4`);
  let file = o.logFile;
  if (file === undefined) return silentLogger;
  if (file !== '-' && !path.isAbsolute(file)) {
    fs.mkdirSync(o.imagesDir, { recursive: true, mode: 0o700 });
    file = path.join(o.imagesDir, file);
  }
  return openLog(level, file);
}

/** Points after which nothing can be undone: a cancellation is too late there. */
const TOO_LATE: readonly ActionName[] = ['network-unlock', 'post-resume'];

function hookFor(o: CallOptions): ActionHook {
  return (action, pid) => {
    if (o.signal?.aborted && !TOO_LATE.includes(action)) throw new AbortedError(action);
    o.onAction?.(action, pid);
  };
}

/** Runs the engine on a later turn, with the call's logger, closed whatever happens. */
function run<T>(o: CallOptions, what: string, body: (log: Logger) => T): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      if (o.signal?.aborted) return reject(new AbortedError(what === 'dump' ? 'pre-dump' : 'pre-restore'));
      let log: Logger | undefined;
      try {
        log = logFor(o);
        resolve(body(log));
      } catch (e) {
        log?.error((e as Error).message);
        reject(e);
      } finally {
        log?.close();
      }
    });
  });
}

const socketsOf = (s?: Partial<SocketOptions>): SocketOptions => ({ ...NO_SOCKET_OPTIONS, ...s });

export function dump(o: DumpCall): Promise<DumpResult> {
  return run(o, 'dump', (log) => {
    fs.mkdirSync(o.imagesDir, { recursive: true, mode: 0o700 });
    const opts: DumpOptions = {
      pid: o.pid, imagesDir: o.imagesDir, leaveRunning: o.leaveRunning ?? false, leaveStopped: o.leaveStopped, shellJob: o.shellJob ?? false,
      fileLocks: o.fileLocks, linkRemap: o.linkRemap, ghostLimit: o.ghostLimit, sockets: socketsOf(o.sockets),
      externals: ExternalFiles.parse(o.external ?? []), freezeTimeoutMs: (o.timeout ?? 10) * 1000,
      onAction: hookFor(o), onProgress: o.onProgress, log,
    };
    const r = engineDump(opts);
    if (o.imageChecksums) writeManifest(o.imagesDir);
    return r;
  });
}

export function restore(o: RestoreCall): Promise<RestoreResult> {
  return run(o, 'restore', (log) => {
    const opts: RestoreOptions = {
      imagesDir: o.imagesDir, detached: o.detached ?? true, leaveStopped: o.leaveStopped, shellJob: o.shellJob ?? false,
      sockets: socketsOf(o.sockets), pidfile: o.pidfile, onAction: hookFor(o), onProgress: o.onProgress, log,
    };
    return engineRestore(opts);
  });
}

/** Pre-dump (memory while the tree runs) is not in amber yet: the promise rejects saying so. */
export function preDump(o: DumpCall): Promise<never> {
  return Promise.reject(new UnsupportedError(o.pid, 'tree', 'pre-dump is not supported yet'));
}
