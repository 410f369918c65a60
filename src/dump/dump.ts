/**
 * amber dump: freeze the tree, dump each process, write the images, then kill the tree or let it
 * run on. A straight line of named steps; any failure cures and releases every task untouched.
 */
import * as fs from 'node:fs';
import { step, UnsupportedError } from '../errors';
import { faultPoint, FaultPlan } from '../fault';
import { Logger } from '../log';
import { Progress, ProgressListener } from '../progress';
import * as img from '../images';
import { ensureImagesDir, createImageFile, removeImagesSince } from '../images-dir';
import { freezeTree, FrozenProcess, releaseTree } from '../pstree/freeze';
import { countFds, makeFdRoom } from '../proc/fd-room';
import { dumpProcess, DumpSession, ProcessDump } from './process-dump';
import { SeccompFilters } from '../task/seccomp';
import { sharedTables } from '../pstree/shared-tables';
import { checkSessions } from '../pstree/sessions';
import { refuseForeignNamespaces } from '../pstree/namespaces';
import { kobjIds } from '../pstree/kobj-ids';
import { TreeImages, writeProcessImages, writeTreeImages, writeZombieImages } from './write-images';
import { DEFAULT_GHOST_LIMIT, NO_SOCKET_OPTIONS, SocketOptions } from '../files/types';
import { describeFile, FileRegistry, openFdOf } from '../files/fd-table';
import type { ExternalFiles } from '../files/external';
import { FILE_KINDS } from '../files/registry';
import { native } from '../native';
import type { ActionHook } from '../actions';

export interface DumpOptions {
  pid: number;
  imagesDir: string;
  leaveRunning: boolean;
  shellJob: boolean;
  /** --link-remap (default false): unlinked open files still linked elsewhere are kept by a hard link (link-remap.ts). */
  linkRemap?: boolean;
  sockets?: SocketOptions;
  fileLocks?: boolean;
  /** --ghost-limit in bytes (default DEFAULT_GHOST_LIMIT). */
  ghostLimit?: number;
  /** --external: open files left to the caller, by key. */
  externals?: ExternalFiles;
  /** --leave-stopped: after a good dump the tree stays, stopped (SIGSTOP), neither killed nor resumed. */
  leaveStopped?: boolean;
  /** Bytes of memory dumped so far (library API); without it, progress goes to a terminal's stderr. */
  onProgress?: ProgressListener;
  /** A step to fail at, for tests (AMBER_FAULT in the CLI). */
  fault?: FaultPlan;
  /** --timeout in ms: freezing gives up past it (0: no limit). */
  freezeTimeoutMs?: number;
  /**
   * CRIU's action points (src/actions.ts), for --action-script and RPC notifications: pre-dump
   * (nothing frozen yet), network-lock (frozen), post-dump (images written; a failure resumes the
   * tree and fails the dump), network-unlock (the tree was resumed; a failure is only logged).
   */
  onAction?: ActionHook;
  log: Logger;
}

export interface DumpResult {
  processes: number;
  threads: number;
  pagesWritten: number;
  pagesScanned: number;
  frozenMs: number;
}

function usSince(t: bigint): number {
  return Number((process.hrtime.bigint() - t) / 1000n);
}

/**
 * A parent-death signal fires when the thread that forked the task ends. Restore forks every
 * child from its parent's main thread, so a child of another thread with one is refused.
 */
function refuseThreadPdeathsig(d: ProcessDump): ProcessDump {
  const p = d.proc, sig = d.threads[0]?.attrs.pdeathSig;
  if (sig && p.parentThread !== undefined && p.parentThread !== p.ppid) {
    throw new UnsupportedError(p.pid, 'task', `it was forked by thread ${p.parentThread} of ${p.ppid} and has a parent-death signal (${sig}), which fires when that thread ends: restore would tie it to the main thread (not supported yet)`);
  }
  return d;
}

export function dump(opts: DumpOptions): DumpResult {
  const { pid, log } = opts;
  ensureImagesDir(opts.imagesDir);
  const startedMs = Date.now();
  if (!fs.existsSync(`/proc/${pid}`)) throw new UnsupportedError(pid, 'task', 'no such process');

  opts.onAction?.('pre-dump', pid);
  // Room in amber's fd table for the root's fds, made while the tree still runs (the table then
  // need not grow while it is frozen, in the common case of one process holding many fds).
  const rootFds = countFds([pid]);
  makeFdRoom(rootFds);
  const tFreeze = process.hrtime.bigint();
  faultPoint('dump:freeze', opts.fault);
  const procs: FrozenProcess[] = step('freezing the tree (PTRACE_SEIZE + PTRACE_INTERRUPT)', pid, () => freezeTree(pid, log, opts.freezeTimeoutMs ?? 0));
  const freezingUs = usSince(tFreeze);
  const tFrozen = process.hrtime.bigint();
  log.info(`froze ${procs.length} processes in ${freezingUs} us`);
  // Every fd of the tree is grabbed (pidfd_getfd) and held until the images are written. The
  // root's count of before the freeze stands (a room too small only means the table grows).
  makeFdRoom(rootFds + countFds(procs.filter((p) => p.state !== 'zombie' && p.pid !== pid).map((p) => p.pid)));

  const pagesFds = new Map<number, number>();
  let nextFileId = 1;
  const seen = new Set<string>();
  const extraImages = new Map<string, { kind: img.ImageKindName; entries: img.Entry[] }>();
  const heldFiles: img.Entry[] = [];
  const finishHooks: (() => void)[] = [];
  const releaseHooks: ((killed: boolean) => void)[] = [];
  const afterReleaseHooks: (() => void)[] = [];
  const abortHooks: (() => void)[] = [];
  const pidfds = new Map<number, number>();
  const grabbed = new Map<string, number>();
  // Processes use pages ids 1..procs.length (their index); memfd contents take the next ones.
  let nextPagesId = procs.length + 1;
  const session: DumpSession = {
    seccomp: new SeccompFilters(),
    fileCtx: {
      shellJob: opts.shellJob, log,
      sockets: opts.sockets ?? NO_SOCKET_OPTIONS,
      leaveRunning: opts.leaveRunning || !!opts.leaveStopped,
      fileLocks: opts.fileLocks ?? false,
      rootPid: pid,
      treePids: procs.filter((p) => p.state !== 'zombie').map((p) => p.pid),
      cache: new Map(),
      grabFd: (tpid, fd) => {
        const key = `${tpid}:${fd}`;
        let got = grabbed.get(key);
        if (got !== undefined) return got;
        let pidfd = pidfds.get(tpid);
        if (pidfd === undefined) pidfds.set(tpid, (pidfd = native.pidfdOpen(tpid, 0)));
        grabbed.set(key, (got = native.pidfdGetfd(pidfd, fd)));
        return got;
      },
      dumpHeldFile: (fd) => describeFile(openFdOf(process.pid, fd), session.fileCtx, session.nextFileId, session.files, heldFiles).id,
      addFileEntry: (make) => {
        const id = session.nextFileId();
        heldFiles.push(make(id));
        return id;
      },
      onFinish: (fn) => finishHooks.push(fn),
      onRelease: (fn) => releaseHooks.push(fn),
      afterRelease: (fn) => afterReleaseHooks.push(fn),
      onAbort: (fn) => abortHooks.push(fn), fault: opts.fault,
      linkRemap: opts.linkRemap ?? false,
      once: (key) => !seen.has(key) && !!seen.add(key),
      addImageEntry: (file, kind, entry) => {
        let e = extraImages.get(file);
        if (!e) extraImages.set(file, (e = { kind, entries: [] }));
        e.entries.push(entry);
      },
      imagesDir: opts.imagesDir,
      ghostLimit: opts.ghostLimit ?? DEFAULT_GHOST_LIMIT,
      nextPagesId: () => nextPagesId++,
      externals: opts.externals,
    },
    imagesDir: opts.imagesDir, shellJob: opts.shellJob, log,
    nextFileId: () => nextFileId++,
    files: new FileRegistry(),
    shmemDumped: new Set(),
    onBytes: (n) => progress.add(n),
    fault: opts.fault,
    pagesFd: (id) => {
      let fd = pagesFds.get(id);
      if (fd === undefined) pagesFds.set(id, (fd = createImageFile(opts.imagesDir, img.pagesImg(id))));
      return fd;
    },
  };
  let dumped = false;
  let locked = false;
  const progress = new Progress(`dump ${pid}`, opts.onProgress);
  try {
    locked = true;
    opts.onAction?.('network-lock', pid);
    if (procs[0].state === 'zombie') throw new UnsupportedError(pid, 'task', 'the root of the tree is a zombie');
    checkSessions(procs, opts.shellJob);
    refuseForeignNamespaces(procs.filter((p) => p.state !== 'zombie').map((p) => p.pid));
    // Refuses what restore cannot share again; the ids say what is shared.
    step('checking what the processes share', pid, () => sharedTables(procs.filter((p) => p.state !== 'zombie')));
    const ids = kobjIds(procs.filter((p) => p.state !== 'zombie').map((p) => p.pid));
    for (const kind of FILE_KINDS) kind.beginDump?.(session.fileCtx);
    const dumps: ProcessDump[] = [];
    const tMem = process.hrtime.bigint();
    procs.forEach((p, i) => {
      if (p.state !== 'zombie') dumps.push(refuseThreadPdeathsig(dumpProcess(session, p, i + 1)));
    });
    const memdumpUs = usSince(tMem);
    step('checking what the files of the tree refer to', pid, () => {
      for (const fn of finishHooks) fn();
    });
    for (const key of opts.externals?.unused() ?? []) log.warn(`--external ${key}: no open file of the tree is ${key}`);

    faultPoint('dump:write-images', opts.fault);
    step('writing images', pid, () => {
      const tree: TreeImages = { files: [], pstree: [] };
      for (const p of procs) {
        const d = dumps.find((x) => x.proc === p);
        if (!d) {
          writeZombieImages(opts.imagesDir, p, tree);
          continue;
        }
        writeProcessImages(opts.imagesDir, d, ids.byPid.get(p.pid)!, session.nextFileId, tree);
      }
      tree.files.push(...heldFiles);
      writeTreeImages(opts.imagesDir, ids.root, tree);
      for (const [file, e] of extraImages) img.writeImage(opts.imagesDir, file, e.kind, e.entries);
      if (session.seccomp.entries.length) img.writeImage(opts.imagesDir, img.SECCOMP_IMG, 'SECCOMP', [{ seccomp_filters: session.seccomp.entries }]);
      const pagesWritten = dumps.reduce((n, d) => n + d.pages.pagesWritten, 0);
      const pagesScanned = dumps.reduce((n, d) => n + d.pages.pagesScanned, 0);
      img.writeImage(opts.imagesDir, img.STATS_DUMP_IMG, 'STATS', [{
        dump: {
          freezing_time: freezingUs, frozen_time: usSince(tFrozen), memdump_time: memdumpUs, memwrite_time: memdumpUs,
          pages_scanned: BigInt(pagesScanned), pages_skipped_parent: 0n, pages_written: BigInt(pagesWritten), pages_lazy: 0n,
        },
      }]);
    });
    opts.onAction?.('post-dump', pid);
    dumped = true;
    return {
      processes: procs.length,
      threads: procs.reduce((n, p) => n + p.threads.length, 0),
      pagesWritten: dumps.reduce((n, d) => n + d.pages.pagesWritten, 0),
      pagesScanned: dumps.reduce((n, d) => n + d.pages.pagesScanned, 0),
      frozenMs: usSince(tFrozen) / 1000,
    };
  } finally {
    progress.done();
    for (const fd of pagesFds.values()) fs.closeSync(fd);
    // A failed dump leaves no images that look like a dump (ENOSPC halfway, a refused fd...).
    if (!dumped) removeImagesSince(opts.imagesDir, startedMs, log);
    const killed = dumped && !opts.leaveRunning && !opts.leaveStopped;
    if (!dumped) {
      for (const fn of abortHooks) {
        try { fn(); } catch (e) { log.error(`undoing the failed dump: ${(e as Error).message}`); }
      }
    }
    for (const fn of releaseHooks) {
      try { fn(killed); } catch (e) { log.error(`releasing the tree: ${(e as Error).message}`); }
    }
    releaseTree(procs, killed ? 'kill' : dumped && opts.leaveStopped ? 'stop' : 'resume', log);
    if (locked && !killed && opts.onAction) {
      try { opts.onAction('network-unlock', pid); } catch (e) { log.error(`network-unlock after the dump: ${(e as Error).message}`); }
    }
    // Closed after the tree is killed: a connection in repair mode then goes without a word to its peer.
    for (const fd of [...grabbed.values(), ...pidfds.values()]) fs.closeSync(fd);
    log.info(killed ? `tree of ${pid} killed after dump` : dumped && opts.leaveStopped ? `tree of ${pid} left stopped` : `tree of ${pid} resumed`);
    if (dumped) {
      for (const fn of afterReleaseHooks) {
        try { fn(); } catch (e) { log.warn(`after the dump: ${(e as Error).message}`); }
      }
    }
  }
}
