/**
 * A DUMP or RESTORE request's surroundings, from its criu_opts: the images directory and the
* work directory (fds the client passed, or images_dir as a path), and the request's own log
 * (log_file in the work directory, log_level, log_to_stderr), closed when the request ends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { RpcError } from '../errors';
import { Logger } from '../log';
import { CriuOpts, isSet } from './messages';
import { RpcContext } from './context';

const EBADF = 9, EINVAL = 22, ENOTDIR = 20;
const F_GETFD = 1;

export interface RequestEnv {
  imagesDir: string;
  workDir: string;
  log: Logger;
  /** Closes the request's log. */
  close(): void;
}

/**
 * The path of a directory the client passed as an fd. As with CRIU, the number is the client's
 * (/proc/PEER/fd/N: pycriu and runc keep such fds close-on-exec); swrk also takes one amber
 * inherited when the client has no such fd.
 */
function dirOfFd(request: string, field: string, fd: number, ctx: RpcContext): string {
  const links = [`/proc/${ctx.peerPid}/fd/${fd}`, ...(ctx.mode === 'swrk' ? [`/proc/self/fd/${fd}`] : [])];
  const link = links.find((l) => { try { fs.readlinkSync(l); return true; } catch { return false; } });
  let target: string;
  try {
    target = fs.readlinkSync(link ?? links[0]);
  } catch {
    throw new RpcError(request, `${field} ${fd} is not an open fd of the client (pid ${ctx.peerPid})${ctx.mode === 'swrk' ? ' nor of amber' : ''}`, EBADF);
  }
  if (!fs.statSync(link!).isDirectory()) throw new RpcError(request, `${field} ${fd} is ${target}, not a directory`, ENOTDIR);
  if (!path.isAbsolute(target) || target.endsWith(' (deleted)')) throw new RpcError(request, `${field} ${fd} is ${target}, not a directory amber can name`, ENOTDIR);
  return target;
}

function imagesDirOf(request: string, o: CriuOpts, ctx: RpcContext): string {
  if (o.images_dir_fd >= 0) return dirOfFd(request, 'images_dir_fd', o.images_dir_fd, ctx);
  if (isSet(o, 'images_dir') && o.images_dir) {
    if (!path.isAbsolute(o.images_dir)) throw new RpcError(request, `images_dir ${o.images_dir} is not an absolute path`, EINVAL);
    return o.images_dir;
  }
  throw new RpcError(request, 'neither images_dir_fd nor images_dir names the images directory', EINVAL);
}

function openLog(request: string, o: CriuOpts, workDir: string, defaultName: string): { log: Logger; fd: number } {
  const level = isSet(o, 'log_level') ? Number(o.log_level) : 2;
  if (!Number.isInteger(level)) throw new RpcError(request, `bad log_level ${o.log_level}`, EINVAL);
  const clamped = Math.max(0, Math.min(4, level));
  if (o.log_to_stderr && !isSet(o, 'log_file')) return { log: new Logger({ level: clamped, fd: 2, start: process.hrtime.bigint() }, 'amber'), fd: -1 };
  const name = isSet(o, 'log_file') && o.log_file ? o.log_file : defaultName;
  if (name.includes('/')) throw new RpcError(request, `log_file ${name}: no subdirectories are allowed (use work_dir_fd)`, EINVAL);
  const fd = fs.openSync(path.join(workDir, name), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | 0o2000000 /* O_CLOEXEC */, 0o600);
  return { log: new Logger({ level: clamped, fd, start: process.hrtime.bigint() }, 'amber'), fd };
}

export function openRequestEnv(request: string, o: CriuOpts, ctx: RpcContext, defaultLog: string): RequestEnv {
  const imagesDir = imagesDirOf(request, o, ctx);
  const workDir = isSet(o, 'work_dir_fd') && o.work_dir_fd! >= 0 ? dirOfFd(request, 'work_dir_fd', o.work_dir_fd!, ctx) : imagesDir;
  const { log, fd } = openLog(request, o, workDir, defaultLog);
  return { imagesDir, workDir, log, close: () => { if (fd >= 0) fs.closeSync(fd); } };
}

/**
 * An fd of amber's own for the client's fd `fd` (inherit_fd, status_fd): in swrk the same number
 * (it must be open); in a service a duplicate taken from the client (pidfd_getfd), closed by
 * the caller.
 */
export function clientFd(request: string, fd: number, ctx: RpcContext, field: string): { fd: number; taken: boolean } {
  if (ctx.mode === 'swrk') {
    try { native.fcntl(fd, F_GETFD, 0); } catch { throw new RpcError(request, `${field} ${fd} is not open in amber`, EBADF); }
    return { fd, taken: false };
  }
  const pidfd = native.pidfdOpen(ctx.peerPid, 0);
  try {
    return { fd: native.pidfdGetfd(pidfd, fd), taken: true };
  } catch {
    throw new RpcError(request, `${field} ${fd} is not an open fd of the client (pid ${ctx.peerPid})`, EBADF);
  } finally {
    fs.closeSync(pidfd);
  }
}
