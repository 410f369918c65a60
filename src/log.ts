/**
 * Logging as CRIU does it: -v0 (nothing) .. -v4 (debug), to a file (-o) or stderr.
 * One Logger per module, each with its own prefix; errors are logged once, by the CLI.
 */
import * as fs from 'node:fs';

export const enum Level { Error = 1, Warn = 2, Info = 3, Debug = 4 }

export interface LogSink {
  level: number;
  fd: number; // -1: nowhere
  start: bigint;
  /** The log opened fd itself (a -o file): close() closes it. */
  owned?: boolean;
}

export class Logger {
  constructor(private readonly sink: LogSink, readonly prefix: string) {}

  child(prefix: string): Logger {
    return new Logger(this.sink, prefix);
  }

  /** Closes the log file this logger opened (a library call or a service request ends). */
  close(): void {
    if (this.sink.owned && this.sink.fd >= 0) fs.closeSync(this.sink.fd);
    this.sink.fd = -1;
  }

  enabled(level: Level): boolean {
    return this.sink.level >= level && this.sink.fd >= 0;
  }

  private write(level: Level, tag: string, msg: string): void {
    if (!this.enabled(level)) return;
    const t = Number(process.hrtime.bigint() - this.sink.start) / 1e9;
    fs.writeSync(this.sink.fd, `(${t.toFixed(6).padStart(12)}) ${tag}${this.prefix}: ${msg}\n`);
  }

  error(msg: string): void { this.write(Level.Error, 'Error ', msg); }
  warn(msg: string): void { this.write(Level.Warn, 'Warn  ', msg); }
  info(msg: string): void { this.write(Level.Info, '', msg); }
  debug(msg: string): void { this.write(Level.Debug, '', msg); }
}

/** Opens the log: file created 0600 (logs may quote memory addresses and paths). */
export function openLog(level: number, file: string | undefined): Logger {
  let fd = 2;
  const owned = !!file && file !== '-';
  if (owned) fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | 0o2000000 /* O_CLOEXEC: restored tasks must not inherit it */, 0o600);
  return new Logger({ level, fd, start: process.hrtime.bigint(), owned }, 'amber');
}

export const silentLogger = new Logger({ level: 0, fd: -1, start: 0n }, '');
