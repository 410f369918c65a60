/**
 * DUMP: criu_opts as DumpOptions, notifications as the dump's action hook, and the answer
 * (criu_dump_resp.restored is always false: amber never dumps its own client and comes back).
 */
import { faultPlanFromEnv } from '../fault';
import * as fs from 'node:fs';
import { dump } from '../dump/dump';
import { AmberError, RpcError, UsageError } from '../errors';
import { ExternalFiles } from '../files/external';
import { CriuOpts, CriuReq, CriuResp, isSet, ReqType } from './messages';
import { RpcContext } from './context';
import { checkOptions } from './opts';
import { openRequestEnv } from './request-env';
import { socketOptions } from './socket-options';
import { notifier } from './notify';

const ESRCH = 3, EINVAL = 22;
/** CRIU's freeze timeout when the client sets none, in seconds (as the CLI's --timeout). */
const DEFAULT_TIMEOUT_S = 10;

/** The tree to dump: opts.pid, or the client itself (CRIU's rule); never one holding amber. */
function targetPid(o: CriuOpts, ctx: RpcContext): number {
  const pid = isSet(o, 'pid') ? Number(o.pid) : ctx.peerPid;
  if (!Number.isInteger(pid) || pid <= 0) throw new RpcError('DUMP', `bad pid ${o.pid}`, EINVAL);
  if (!fs.existsSync(`/proc/${pid}`)) throw new RpcError('DUMP', `no process ${pid}`, ESRCH);
  for (let p = process.pid; p > 1;) {
    if (p === pid) throw new RpcError('DUMP', `amber (pid ${process.pid}) is inside the tree of ${pid}: start amber outside the tree it dumps (pycriu and libcriu daemonize swrk for a self-dump)`, EINVAL);
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return pid;
}

function externalsOf(o: CriuOpts): ExternalFiles | undefined {
  if (!o.external?.length) return undefined;
  try {
    return ExternalFiles.parse(o.external);
  } catch (e) {
    if (e instanceof UsageError) throw new RpcError('DUMP', e.message.replace(/^option --/, ''), EINVAL);
    throw e;
  }
}

export function serveDump(req: CriuReq, ctx: RpcContext): CriuResp {
  const o = req.opts;
  if (!o) throw new RpcError('DUMP', 'no criu_opts', EINVAL);
  // The log first: a refused option or pid is written there too, where the client (runc
  // prints only the errno and the log's path) sends its user to read why.
  const env = openRequestEnv('DUMP', o, ctx, 'dump.log');
  const { log } = env;
  try {
    const notes = checkOptions('DUMP', o);
    const pid = targetPid(o, ctx);
    const externals = externalsOf(o);
    log.info(`amber ${ctx.version} dump over RPC (${ctx.mode}, client ${ctx.peerPid}): -t ${pid} -D ${env.imagesDir}`);
    for (const n of notes) log.info(n);
    if (isSet(o, 'status_fd')) log.info('status_fd ignored: a dump has nothing to report ready');
    const r = dump({
      pid, imagesDir: env.imagesDir, leaveRunning: !!o.leave_running, leaveStopped: !!o.leave_stopped, shellJob: !!o.shell_job, sockets: socketOptions('DUMP', o),
      fileLocks: !!o.file_locks, linkRemap: !!o.link_remap, ghostLimit: isSet(o, 'ghost_limit') ? o.ghost_limit : undefined, externals,
      freezeTimeoutMs: (isSet(o, 'timeout') ? Number(o.timeout) : DEFAULT_TIMEOUT_S) * 1000,
      onAction: o.notify_scripts ? notifier(ctx.channel, log) : undefined, fault: faultPlanFromEnv(process.env), log,
    });
    log.info(`dump finished: ${r.processes} processes, ${r.threads} threads, ${r.pagesWritten} pages, frozen for ${r.frozenMs.toFixed(1)} ms`);
    return { type: ReqType.DUMP, success: true, dump: { restored: false } };
  } catch (e) {
    log.error(e instanceof AmberError ? e.message : (e as Error).stack ?? String(e));
    throw e;
  } finally {
    env.close();
  }
}
