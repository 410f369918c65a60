/** The amber command: CRIU's subcommands and options; errors logged once, here. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AmberError, UsageError } from '../errors';
import { Logger, openLog } from '../log';
import { helpText, optionValues, parseArgs, ParsedArgs, parseSize } from './options';
import { dump } from '../dump/dump';
import { restore } from '../restore/restore';
import { runCheck } from '../check/check';
import { SocketOptions } from '../files/types';
import { parseLockMethod } from '../net/network-lock';
import { ExternalFiles, parseExternal, parseInheritFds } from '../files/external';

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

export function main(argv: string[]): void {
  let log: Logger | undefined;
  try {
    const args = parseArgs(argv);
    if (args.opts.has('version')) {
      console.log(`Version: ${VERSION}`);
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
        const externals = ExternalFiles.parse(optionValues(args, 'external'));
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        log = setupLog(args, dir, 'dump.log');
        log.info(`amber ${VERSION} dump -t ${pid} -D ${dir}`);
        const r = dump({ pid, imagesDir: dir, leaveRunning: args.opts.has('leave-running'), shellJob: args.opts.has('shell-job'), sockets: socketOptions(args), fileLocks: args.opts.has('file-locks'),
          ghostLimit: args.opts.has('ghost-limit') ? parseSize('ghost-limit', requireOpt(args, 'ghost-limit')) : undefined, externals, log });
        log.info(`dump finished: ${r.processes} processes, ${r.threads} threads, ${r.pagesWritten} pages, frozen for ${r.frozenMs.toFixed(1)} ms`);
        return;
      }
      case 'restore': {
        const dir = requireOpt(args, 'images-dir');
        // The --external files of a dump need nothing at restore but their --inherit-fd; other
        // forms are refused as at dump.
        for (const x of optionValues(args, 'external')) parseExternal(x);
        const inherit = parseInheritFds(optionValues(args, 'inherit-fd'));
        log = setupLog(args, dir, 'restore.log');
        log.info(`amber ${VERSION} restore -D ${dir}`);
        for (const i of inherit.fds) log.info(`--inherit-fd: fd ${i.fd} is ${i.key}`);
        for (const d of inherit.debug) fs.writeSync(d.fd, d.text);
        const r = restore({
          imagesDir: dir, detached: args.opts.has('restore-detached'), shellJob: args.opts.has('shell-job'), sockets: socketOptions(args),
          pidfile: args.opts.get('pidfile') as string | undefined, inheritFds: inherit.fds, log,
        });
        if (r.exitCode !== undefined) process.exitCode = r.exitCode;
        return;
      }
      case 'check': {
        log = setupLog(args, imagesDir, 'check.log');
        process.exitCode = runCheck(args.opts.get('feature') as string | undefined);
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
