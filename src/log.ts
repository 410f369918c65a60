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
}

export class Logger {
  constructor(private readonly sink: LogSink, readonly prefix: string) {}

  child(prefix: string): Logger {
    return new Logger(this.sink, prefix);
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
  if (file && file !== '-') fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND, 0o600);
  return new Logger({ level, fd, start: process.hrtime.bigint() }, 'amber');
}

export const silentLogger = new Logger({ level: 0, fd: -1, start: 0n }, '');
