/**
 * Every error amber raises, with a stable code and its context in fields.
 * CLI maps them to messages and exit codes; callers can catch by class.
 */
import { constants as osConstants } from 'node:os';

// Linux has aliases (EWOULDBLOCK = EAGAIN, ...): the canonical name is the one the kernel's docs use.
const CANONICAL = new Set(['EAGAIN', 'EDEADLK', 'EOPNOTSUPP']);
const errnoNames: Record<number, string> = {};
for (const [name, num] of Object.entries(osConstants.errno)) {
  if (!(num in errnoNames) || CANONICAL.has(name)) errnoNames[num] = name;
}

export function errnoName(errno: number): string {
  return errnoNames[errno] ?? `E${errno}`;
}

export class AmberError extends Error {
  readonly code: string = 'EAMBER';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A syscall failed. Thrown by the native addon and by remote (injected) syscalls. */
export class SysError extends AmberError {
  override readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly pid?: number;
  readonly fd?: number;
  constructor(errno: number, syscall: string, pid?: number, fd?: number) {
    const where = [pid !== undefined ? `pid ${pid}` : '', fd !== undefined ? `fd ${fd}` : ''].filter(Boolean).join(', ');
    super(`${syscall} failed: ${errnoName(errno)}${where ? ` (${where})` : ''}`);
    this.errno = errno;
    this.code = errnoName(errno);
    this.syscall = syscall;
    this.pid = pid;
    this.fd = fd;
  }
}

/** A Node fs error (errno negative) as a SysError naming what was done; anything else as is. */
export function nodeErrorToSys(e: unknown, what: string, pid?: number): unknown {
  const errno = (e as NodeJS.ErrnoException)?.errno;
  return typeof errno === 'number' ? new SysError(-errno, what, pid) : e;
}

/** A resource the dump cannot carry: names the task, the resource and why. */
export class UnsupportedError extends AmberError {
  override readonly code = 'EUNSUPPORTED';
  constructor(readonly pid: number, readonly resource: string, readonly reason: string) {
    super(`task ${pid}: ${resource}: ${reason}`);
  }
}

/**
 * A file the images leave to the caller of restore (dumped with --external, or a pipe whose other
 * end was outside the tree) that no --inherit-fd provides, or one that does not fit it.
 */
export class InheritFdError extends AmberError {
  override readonly code = 'EINHERITFD';
  constructor(readonly pid: number | undefined, readonly fd: number | undefined, readonly key: string, readonly reason: string) {
    super(`${pid !== undefined ? `task ${pid}` : 'a file in flight'}${fd !== undefined ? ` fd ${fd}` : ''}: ${key}: ${reason}`);
  }
}

/** An image file is missing, truncated or corrupt. */
export class ImageError extends AmberError {
  override readonly code = 'EIMAGE';
  constructor(readonly file: string, readonly entry: number | undefined, readonly reason: string, options?: { cause?: unknown }) {
    super(`${file}${entry !== undefined ? ` entry ${entry}` : ''}: ${reason}`, options);
  }
}

/**
 * At restore, a path the images name leads to a file unlike the one dumped (size or mode differ):
 * the file changed, or the path now names another file. Opening it would give the task a
 * different file than it had.
 */
export class FileChangedError extends AmberError {
  override readonly code = 'EFILECHANGED';
  constructor(readonly path: string, readonly what: string, readonly dumped: string, readonly found: string) {
    super(`${path}: ${what} is ${found}, at dump it was ${dumped}: the file changed or the path now names another file`);
  }
}

/** A step failed: wraps the cause with what amber was doing. */
export class StepError extends AmberError {
  override readonly code = 'ESTEP';
  constructor(readonly step: string, readonly pid: number | undefined, options: { cause: unknown }) {
    const inner = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`${pid !== undefined ? `task ${pid}: ` : ''}${step}: ${inner}`, options);
  }
}

/** A fault injected on purpose (AMBER_FAULT), to test that failures clean up. */
export class InjectedFault extends AmberError {
  override readonly code = 'EFAULTINJECTED';
  constructor(readonly point: string) {
    super(`fault injected at ${point} (AMBER_FAULT)`);
  }
}

/** amber was sent SIGINT or SIGTERM: it stopped at `point` and undid what it had done. */
export class InterruptedError extends AmberError {
  override readonly code = 'EINTERRUPTED';
  constructor(readonly signal: string, readonly point: string) {
    super(`interrupted by ${signal}: stopped before ${point}, everything undone`);
  }
}

/**
 * An RPC request (criu swrk / criu service) amber does not serve as asked: an unknown or
 * unsupported request type, an option it cannot honour, a malformed message. The answer is a
 * criu_resp with success=false, this message as cr_errmsg and errno as cr_errno.
 */
export class RpcError extends AmberError {
  override readonly code = 'ERPC';
  constructor(readonly request: string, readonly reason: string, readonly errno?: number) {
    super(`${request}: ${reason}`);
  }
}

/** An action point's hook said no (a client's negative NOTIFY answer, a failing --action-script). */
export class ActionFailedError extends AmberError {
  override readonly code = 'EACTION';
  constructor(readonly action: string, readonly reason: string) {
    super(`action ${action}: ${reason}`);
  }
}

/** Bad command-line usage. */
export class UsageError extends AmberError {
  override readonly code = 'EUSAGE';
}

/** Wraps fn's failure in a StepError naming what was being done. */
export function step<T>(what: string, pid: number | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof StepError || e instanceof UnsupportedError || e instanceof ImageError || e instanceof InjectedFault || e instanceof InterruptedError || e instanceof FileChangedError) throw e;
    throw new StepError(what, pid, { cause: e });
  }
}
