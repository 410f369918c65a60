/** The amber command: CRIU's subcommands and options; errors logged once, here. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AmberError, UsageError } from '../errors';
import { Logger, openLog } from '../log';
import { helpText, optionValues, parseArgs, ParsedArgs, parseSize } from './options';
import type { SocketOptions } from '../files/types';
import { parseLockMethod } from '../net/network-lock';
import * as img from '../images';
import { versionText } from '../version';
import { faultPlanFromEnv } from '../fault';
import { guardSignals } from '../interrupt';
import { native } from '../native';
import { actionScriptHook } from './action-scripts';
import { MANIFEST_FILE, verifyManifest, writeManifest } from '../images/manifest';

/*
 * Each command loads only its own part of amber, on use: for a small dump or restore, start-up
 * is most of the time (the restore engine need not be set up for a dump, nor the RPC for either).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const dump: typeof import('../dump/dump').dump = (o) => (require('../dump/dump') as typeof import('../dump/dump')).dump(o);
const restore: typeof import('../restore/restore').restore = (o) => (require('../restore/restore') as typeof import('../restore/restore')).restore(o);
const runCheck: typeof import('../check/check').runCheck = (o) => (require('../check/check') as typeof import('../check/check')).runCheck(o);
const runSwrk: typeof import('../rpc/swrk').runSwrk = (...a) => (require('../rpc/swrk') as typeof import('../rpc/swrk')).runSwrk(...a);
const runService: typeof import('../rpc/service').runService = (...a) => (require('../rpc/service') as typeof import('../rpc/service')).runService(...a);
const external = () => require('../files/external') as typeof import('../files/external');
const readImageSet: typeof import('../restore/read-images').readImageSet = (d) => (require('../restore/read-images') as typeof import('../restore/read-images')).readImageSet(d);
/* eslint-enable @typescript-eslint/no-require-imports */

const VERSION: string = require('../../../package.json').version;

function requireOpt(args: ParsedArgs, name: string): string {
  const v = args.opts.get(name);
  if (typeof v !== 'string') throw new UsageError(`${args.command} needs --${name}`);
  return v;
}

function socketOptions(args: ParsedArgs): SocketOptions {
  return {
    tcpEstablished: args.opts.has('tcp-established'),
    extUnixSk: args.opts.has('ext-unix-sk'),
    tcpClose: args.opts.has('tcp-close'),
    skipInFlight: args.opts.has('skip-in-flight'),
    networkLock: parseLockMethod(args.opts.get('network-lock') as string | undefined),
  };
}

function setupLog(args: ParsedArgs, imagesDir: string | undefined, defaultName: string): Logger {
  const v = args.opts.get('verbosity');
  const level = typeof v === 'string' ? Number(v) : 2;
  if (!Number.isInteger(level) || level < 0 || level > 4) throw new UsageError(`bad verbosity ${v}: use -v0..-v4`);
  const work = (args.opts.get('work-dir') as string | undefined) ?? imagesDir;
  let file = args.opts.get('log-file') as string | undefined;
  if (file === undefined && level > 2 && work) file = defaultName;
  if (file && file !== '-' && !path.isAbsolute(file)) {
    if (!work) throw new UsageError('a relative --log-file needs -D or -W');
    fs.mkdirSync(work, { recursive: true, mode: 0o700 });
    file = path.join(work, file);
  }
  return openLog(level, file);
}

/** --timeout in seconds (CRIU's default: 10). */
function timeoutSeconds(args: ParsedArgs): number {
  const v = args.opts.get('timeout');
  if (v === undefined) return 10;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 0) throw new UsageError(`bad --timeout ${v}: seconds, a whole number`);
  return n;
}

/** An fd number option (--status-fd): it must be open in amber. */
function fdOption(args: ParsedArgs, name: string): number | undefined {
  const v = args.opts.get(name);
  if (v === undefined) return undefined;
  const fd = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(fd) || fd < 0) throw new UsageError(`bad --${name} ${v}: an fd number`);
  try { fs.fstatSync(fd); } catch { throw new UsageError(`--${name} ${fd}: no such open fd`); }
  return fd;
}

/** --display-stats: what stats-dump / stats-restore hold, on stdout. */
function displayStats(what: 'dump' | 'restore', dir: string): void {
  const file = what === 'dump' ? img.STATS_DUMP_IMG : img.STATS_RESTORE_IMG;
  const s = img.readImageOptional(dir, file, 'STATS')?.[0]?.[what];
  if (!s) return;
  const us = (v: number | bigint | undefined) => `${Number(v ?? 0)} us`;
  const pages = (v: number | bigint | undefined) => `${Number(v ?? 0)} (0x${Number(v ?? 0).toString(16)})`;
  const lines = what === 'dump'
    ? [`Freezing time: ${us(s.freezing_time)}`, `Frozen time: ${us(s.frozen_time)}`, `Memory dump time: ${us(s.memdump_time)}`, `Memory write time: ${us(s.memwrite_time)}`,
      `Memory pages scanned: ${pages(s.pages_scanned)}`, `Memory pages skipped from parent dump: ${pages(s.pages_skipped_parent)}`, `Memory pages written: ${pages(s.pages_written)}`, `Lazy memory pages: ${pages(s.pages_lazy)}`]
    : [`Pages compared: ${pages(s.pages_compared)}`, `Pages skipped COW: ${pages(s.pages_skipped_cow)}`, `Pages restored: ${pages(s.pages_restored)}`, `Restore time: ${us(s.restore_time)}`, `Forking time: ${us(s.forking_time)}`];
  process.stdout.write(`Displaying ${what} stats:\n${lines.join('\n')}\n`);
}

export function main(argv: string[]): void {
  // `amber crit ...`: CRIU's image tool, which parses its own arguments.
  if (argv[0] === 'crit') {
    process.exitCode = require('../crit/cli').critMain(argv.slice(1));
    return;
  }
  let log: Logger | undefined;
  try {
    // CRIU's RPC servers take their own arguments (swrk FD; service --address ...): not the option table's.
    if (argv[0] === 'swrk') return runSwrk(argv.slice(1), VERSION, (log = openLog(2, undefined)));
    if (argv[0] === 'service') {
      return runService(argv.slice(1), VERSION, (a) => (log = openLog(a.verbosity, a.logFile && a.logFile !== '-' ? path.resolve(a.workDir ?? '.', a.logFile) : undefined)));
    }
    const args = parseArgs(argv);
    if (args.opts.has('version')) {
      fs.writeSync(1, `${versionText()}\n`);
      return;
    }
    if (args.opts.has('help') || !args.command) {
      console.log(helpText(VERSION));
      process.exitCode = args.command || args.opts.has('help') ? 0 : 1;
      return;
    }
    const imagesDir = args.opts.get('images-dir') as string | undefined;
    switch (args.command) {
      case 'dump': {
        const pid = Number(requireOpt(args, 'tree'));
        if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`bad PID ${args.opts.get('tree')}`);
        const dir = requireOpt(args, 'images-dir');
        const externals = external().ExternalFiles.parse(optionValues(args, 'external'));
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        log = setupLog(args, dir, 'dump.log');
        log.info(`amber ${VERSION} dump -t ${pid} -D ${dir}`);
        const r = dump({
          pid, imagesDir: dir, leaveRunning: args.opts.has('leave-running'), leaveStopped: args.opts.has('leave-stopped'), shellJob: args.opts.has('shell-job'),
          sockets: socketOptions(args), fileLocks: args.opts.has('file-locks'), linkRemap: args.opts.has('link-remap'),
          ghostLimit: args.opts.has('ghost-limit') ? parseSize('ghost-limit', requireOpt(args, 'ghost-limit')) : undefined, externals,
          freezeTimeoutMs: timeoutSeconds(args) * 1000, fault: { point: faultPlanFromEnv(process.env), interrupted: guardSignals() }, onAction: actionScriptHook(optionValues(args, 'action-script'), dir, log), log,
        });
        log.info(`dump finished: ${r.processes} processes, ${r.threads} threads, ${r.pagesWritten} pages, frozen for ${r.frozenMs.toFixed(1)} ms`);
        if (args.opts.has('image-checksums')) log.info(`checksums of ${writeManifest(dir)} images in ${MANIFEST_FILE}`);
        if (args.opts.has('display-stats')) displayStats('dump', dir);
        return;
      }
      case 'restore': {
        const dir = requireOpt(args, 'images-dir');
        // The --external files of a dump need nothing at restore but their --inherit-fd; other
        // forms are refused as at dump.
        for (const x of optionValues(args, 'external')) external().parseExternal(x);
        const inherit = external().parseInheritFds(optionValues(args, 'inherit-fd'));
        const statusFd = fdOption(args, 'status-fd');
        const execCmd = args.opts.has('exec-cmd') ? args.afterDashes : undefined;
        if (execCmd && !execCmd.length) throw new UsageError('--exec-cmd needs the command after --');
        log = setupLog(args, dir, 'restore.log');
        log.info(`amber ${VERSION} restore -D ${dir}`);
        for (const i of inherit.fds) log.info(`--inherit-fd: fd ${i.fd} is ${i.key}`);
        for (const d of inherit.debug) fs.writeSync(d.fd, d.text);
        const r = restore({
          imagesDir: dir, detached: args.opts.has('restore-detached') || args.opts.has('restore-sibling') || !!execCmd, sibling: args.opts.has('restore-sibling'), shellJob: args.opts.has('shell-job'), sockets: socketOptions(args),
          pidfile: args.opts.get('pidfile') as string | undefined, inheritFds: inherit.fds, log,
          leaveStopped: args.opts.has('leave-stopped'), fault: { point: faultPlanFromEnv(process.env), interrupted: guardSignals() }, onAction: actionScriptHook(optionValues(args, 'action-script'), dir, log),
          onReady: () => {
            if (args.opts.has('display-stats')) displayStats('restore', dir);
            if (statusFd !== undefined) { fs.writeSync(statusFd, Buffer.alloc(1)); fs.closeSync(statusFd); }
          },
        });
        if (r.exitCode !== undefined) process.exitCode = r.exitCode;
        if (execCmd) {
          // The restored root is amber's child: once amber is the command, the command is its parent.
          log.info(`restored ${r.pid}; running ${execCmd.join(' ')}`);
          log.close();
          // Node keeps its stdio close-on-exec and non-blocking: the command gets them as a shell gives them.
          for (const fd of [0, 1, 2]) {
            try {
              native.fcntl(fd, 2 /* F_SETFD */, 0);
              native.fcntl(fd, 4 /* F_SETFL */, native.fcntl(fd, 3 /* F_GETFL */, 0) & ~0o4000 /* O_NONBLOCK */);
            } catch { /* closed */ }
          }
          native.execvp(execCmd[0], execCmd);
        }
        return;
      }
      case 'check-images': {
        const dir = requireOpt(args, 'images-dir');
        log = setupLog(args, undefined, 'check-images.log');
        const checked = verifyManifest(dir);
        const set = readImageSet(dir);
        console.log(`${dir}: ${checked === undefined ? `no ${MANIFEST_FILE} (dump with --image-checksums); ` : `${checked} images match ${MANIFEST_FILE}; `}every image of ${set.processes.length} processes reads back`);
        if (checked === undefined) process.exitCode = 1;
        return;
      }
      case 'check': {
        log = setupLog(args, imagesDir, 'check.log');
        process.exitCode = runCheck({
          feature: args.opts.get('feature') as string | undefined,
          extra: args.opts.has('extra') || args.opts.has('all'),
          experimental: args.opts.has('experimental') || args.opts.has('all'),
        });
        return;
      }
      default:
        throw new UsageError(`unknown command ${args.command} (try --help)`);
    }
  } catch (e) {
    const msg = e instanceof AmberError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e);
    log?.error(msg);
    process.stderr.write(`amber: ${e instanceof UsageError ? '' : 'Error: '}${msg}\n`);
    if (log && e instanceof Error && e.cause && !(e instanceof UsageError)) log.debug(`cause: ${(e.cause as Error).stack ?? e.cause}`);
    process.exitCode = 1;
  }
}
