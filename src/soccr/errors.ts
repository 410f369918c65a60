/**
 * soccr's errors. Every failure names the socket and the step of the save/restore
 * sequence it happened in, so a caller (or a log) can tell "bind failed" from
 * "the peer moved the connection while we were reading it".
 */
import { AmberError } from '../errors';
import { tcpStateName } from './constants';

/** A step of save or restore failed; `cause` is usually a SysError from the native addon. */
export class SoccrError extends AmberError {
  override readonly code: string = 'ESOCCR';
  constructor(readonly fd: number, readonly step: string, options: { cause?: unknown; reason?: string } = {}) {
    const inner = options.reason ?? (options.cause instanceof Error ? options.cause.message : String(options.cause));
    super(`tcp repair of fd ${fd}: ${step}: ${inner}`, { cause: options.cause });
  }
}

/** The connection is in a TCP state soccr cannot carry; thrown by save() instead of a wrong state. */
export class TcpStateError extends SoccrError {
  override readonly code = 'ETCPSTATE';
  readonly stateName: string;
  constructor(fd: number, readonly state: number, why: string) {
    super(fd, 'check state', { reason: `${tcpStateName(state)}: ${why}` });
    this.stateName = tcpStateName(state);
  }
}

/** A TcpConnState (from JSON or an image) that cannot describe a real connection. */
export class BadStateError extends SoccrError {
  override readonly code = 'EBADTCPSTATE';
  constructor(fd: number, readonly field: string, reason: string) {
    super(fd, 'validate', { reason: `${field}: ${reason}` });
  }
}

/** Runs fn as one named step of the sequence; anything it throws becomes a SoccrError. */
export function stepOf<T>(fd: number, step: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SoccrError) throw e;
    throw new SoccrError(fd, step, { cause: e });
  }
}

/**
 * The errno of a failed syscall, else undefined. Duck-typed rather than instanceof SysError:
 * a test runner may load the addon's SysError class and ours as two copies.
 */
export function errnoOf(e: unknown): number | undefined {
  const errno = (e as { errno?: unknown } | null)?.errno;
  return e instanceof Error && typeof errno === 'number' && errno > 0 ? errno : undefined;
}
