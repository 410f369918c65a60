/**
 * One connection, as CRIU serves it: read a criu_req, answer with one criu_resp (after any
 * NOTIFY round trips), and go on only while the client asked keep_open and was served. Every
 * request is answered, served or not: success=false with cr_errmsg saying why.
 */
import { AmberError, RpcError, SysError } from '../errors';
import { CriuReq, CriuResp, ReqType, reqTypeName } from './messages';
import { RpcContext } from './context';
import { serveCheck, serveFeatureCheck, serveVersion, serveWaitPid } from './serve-info';
import { serveDump } from './serve-dump';
import { serveRestore } from './serve-restore';

/** Request types amber does not serve, and why. */
const NOT_SERVED: Partial<Record<number, string>> = {
  [ReqType.PRE_DUMP]: 'amber has no incremental dumps (pre-dump) yet',
  [ReqType.SINGLE_PRE_DUMP]: 'amber has no incremental dumps (pre-dump) yet',
  [ReqType.PAGE_SERVER]: 'amber has no page server',
  [ReqType.PAGE_SERVER_CHLD]: 'amber has no page server',
  [ReqType.CPUINFO_DUMP]: 'amber writes no cpuinfo image',
  [ReqType.CPUINFO_CHECK]: 'amber writes no cpuinfo image',
  [ReqType.NOTIFY]: 'a NOTIFY request only answers a notification from amber',
  [ReqType.EMPTY]: 'an EMPTY request asks for nothing',
};

export function serveRequest(req: CriuReq, ctx: RpcContext): CriuResp {
  switch (req.type) {
    case ReqType.VERSION: return serveVersion(ctx);
    case ReqType.CHECK: return serveCheck();
    case ReqType.FEATURE_CHECK: return serveFeatureCheck(req);
    case ReqType.WAIT_PID: return serveWaitPid(req);
    case ReqType.DUMP: return serveDump(req, ctx);
    case ReqType.RESTORE: return serveRestore(req, ctx);
  }
  const why = NOT_SERVED[req.type];
  throw new RpcError(reqTypeName(req.type), why ?? `unknown request type ${req.type}`, 95 /* EOPNOTSUPP */);
}

/** A failure as CRIU answers one: same type, success=false, the reason and an errno if known. */
export function failureResponse(type: number, e: unknown): CriuResp {
  const resp: CriuResp = { type, success: false, cr_errmsg: e instanceof AmberError ? e.message : String((e as Error)?.message ?? e) };
  const errno = e instanceof RpcError ? e.errno : e instanceof SysError ? e.errno : undefined;
  if (errno !== undefined) resp.cr_errno = errno;
  return resp;
}

/** Serves requests until the client stops asking (no keep_open), closes, or a request fails. */
export function serveConnection(ctx: RpcContext): void {
  for (;;) {
    let req: CriuReq | undefined;
    try {
      req = ctx.channel.receive();
    } catch (e) {
      // A malformed packet still gets an answer, then the connection ends (CRIU drops it).
      ctx.log.error((e as Error).message);
      trySend(ctx, failureResponse(ReqType.EMPTY, e));
      return;
    }
    if (!req) return;
    let resp: CriuResp;
    try {
      resp = serveRequest(req, ctx);
    } catch (e) {
      ctx.log.error(`${reqTypeName(req.type)} failed: ${(e as Error).message}`);
      resp = failureResponse(req.type, e);
    }
    if (!trySend(ctx, resp)) return;
    if (!req.keep_open || !resp.success) return;
  }
}

/** Sends; a client gone meanwhile ends the connection instead of failing the server. */
function trySend(ctx: RpcContext, resp: CriuResp): boolean {
  try {
    ctx.channel.send(resp);
    return true;
  } catch (e) {
    ctx.log.error(`could not answer ${reqTypeName(resp.type)}: ${(e as Error).message}`);
    return false;
  }
}
