/**
 * RESTORE: criu_opts as RestoreOptions, always detached (the restored tree is not amber's to
 * wait for: CRIU's RPC restore is detached too); the answer carries the root's PID. With
 * rst_sibling the root is the client's child (swrk only).
 */
import { faultPlanFromEnv } from '../fault';
import * as fs from 'node:fs';
import { restore } from '../restore/restore';
import { AmberError, RpcError, UsageError } from '../errors';
import { InheritFd, normalizeKey } from '../files/external';
import { CriuOpts, CriuReq, CriuResp, isSet, ReqType } from './messages';
import { RpcContext } from './context';
import { checkOptions } from './opts';
import { clientFd, openRequestEnv } from './request-env';
import { socketOptions } from './socket-options';
import { notifier } from './notify';

const EINVAL = 22;

/** inherit_fd entries as amber's own fds, by key; fds taken from a service's client go in `taken`. */
function inheritFds(o: CriuOpts, ctx: RpcContext, taken: number[]): InheritFd[] {
  const out: InheritFd[] = [];
  for (const i of o.inherit_fd ?? []) {
    let key: string;
    try {
      key = normalizeKey(i.key, 'inherit_fd');
    } catch (e) {
      if (e instanceof UsageError) throw new RpcError('RESTORE', e.message, EINVAL);
      throw e;
    }
    const twice = out.find((x) => x.key === key);
    if (twice) throw new RpcError('RESTORE', `inherit_fd ${key} given twice (fds ${twice.fd} and ${i.fd})`, EINVAL);
    const got = clientFd('RESTORE', i.fd, ctx, 'inherit_fd');
    if (got.taken) taken.push(got.fd);
    out.push({ fd: got.fd, key });
  }
  return out;
}

export function serveRestore(req: CriuReq, ctx: RpcContext): CriuResp {
  const o = req.opts;
  if (!o) throw new RpcError('RESTORE', 'no criu_opts', EINVAL);
  const taken: number[] = [];
  // The log first: a refused option is written there too (see serve-dump.ts).
  const env = openRequestEnv('RESTORE', o, ctx, 'restore.log');
  const { log } = env;
  try {
    const notes = checkOptions('RESTORE', o);
    // As with CRIU: the parent of a sibling is swrk's parent, the client; a service has none to give.
    if (o.rst_sibling && ctx.mode === 'service') throw new RpcError('RESTORE', 'rst_sibling is for swrk only (as with CRIU): a service has no caller to be the parent', EINVAL);
    log.info(`amber ${ctx.version} restore over RPC (${ctx.mode}, client ${ctx.peerPid}): -D ${env.imagesDir}`);
    for (const n of notes) log.info(n);
    const inherited = inheritFds(o, ctx, taken);
    const status = isSet(o, 'status_fd') ? clientFd('RESTORE', o.status_fd!, ctx, 'status_fd') : undefined;
    if (status?.taken) taken.push(status.fd);
    for (const i of inherited) log.info(`inherit_fd: fd ${i.fd} is ${i.key}`);
    const r = restore({
      imagesDir: env.imagesDir, detached: true, shellJob: !!o.shell_job, sockets: socketOptions('RESTORE', o),
      inheritFds: inherited, sibling: !!o.rst_sibling, leaveStopped: !!o.leave_stopped, fault: faultPlanFromEnv(process.env),
      // status_fd gets one \0 once the tree is restored, then is closed (CRIU's --status-fd).
      onReady: status ? () => { fs.writeSync(status.fd, Buffer.alloc(1)); fs.closeSync(status.fd); if (status.taken) taken.splice(taken.indexOf(status.fd), 1); } : undefined,
      onAction: o.notify_scripts ? notifier(ctx.channel, log) : undefined, log,
    });
    return { type: ReqType.RESTORE, success: true, restore: { pid: r.pid } };
  } catch (e) {
    log.error(e instanceof AmberError ? e.message : (e as Error).stack ?? String(e));
    throw e;
  } finally {
    for (const fd of taken) try { fs.closeSync(fd); } catch { /* closed */ }
    env.close();
  }
}
