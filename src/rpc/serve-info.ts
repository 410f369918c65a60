/** The requests that ask about amber: VERSION, CHECK, FEATURE_CHECK; and WAIT_PID. */
import * as fs from 'node:fs';
import { native } from '../native';
import { RpcError, SysError } from '../errors';
import { checkAll, hasFeature } from '../check/check';
import { __WALL } from '../compel/wait-status';
import { CriuFeatures, CriuReq, CriuResp, isSet, ReqType } from './messages';
import { RpcContext } from './context';
import { CRIU_INTERFACE } from '../version';

/**
 * The CRIU interface version amber speaks in CRIU's numbers (clients gate features on them);
 * name says which program answers. No gitid: clients read one as a development snapshot of the
 * next minor version (libcriu, go-criu add 100).
 */
export function serveVersion(_ctx: RpcContext): CriuResp {
  return {
    type: ReqType.VERSION, success: true,
    version: { major_number: CRIU_INTERFACE.major, minor_number: CRIU_INTERFACE.minor, sublevel: CRIU_INTERFACE.sublevel, name: 'amber' },
  };
}

/** As `amber check`: success when nothing amber needs is missing; cr_errmsg lists what is. */
export function serveCheck(): CriuResp {
  const { missing } = checkAll();
  if (missing.length === 0) return { type: ReqType.CHECK, success: true };
  return { type: ReqType.CHECK, success: false, cr_errmsg: `missing: ${missing.map((f) => f.what).join('; ')}` };
}

/** Each RPC feature is amber's engine feature and the kernel features it would use. */
const RPC_FEATURES: Record<keyof CriuFeatures, () => boolean> = {
  mem_track: () => !!hasFeature('pre-dump') && !!hasFeature('pagemap'),
  lazy_pages: () => !!hasFeature('lazy-pages') && fs.existsSync('/proc/sys/vm/unprivileged_userfaultfd'),
  // CRIU keeps pidfds of the dumped tree between pre-dumps in a socket the client holds.
  pidfd_store: () => !!hasFeature('pre-dump') && !!hasFeature('pidfd'),
};

/** Answers every feature the client asked about (all of them when it named none). */
export function serveFeatureCheck(req: CriuReq): CriuResp {
  const asked = (Object.keys(RPC_FEATURES) as (keyof CriuFeatures)[]).filter((f) => !req.features || isSet(req.features, f));
  const features: CriuFeatures = {};
  for (const f of asked) features[f] = RPC_FEATURES[f]();
  return { type: ReqType.FEATURE_CHECK, success: true, features };
}

/** WAIT_PID: the wait status of a child of amber (a task restored by an earlier request). */
export function serveWaitPid(req: CriuReq): CriuResp {
  if (!isSet(req, 'pid') || !req.pid) throw new RpcError('WAIT_PID', 'no pid to wait for', 22);
  try {
    const [, status] = native.waitpid(req.pid, __WALL);
    return { type: ReqType.WAIT_PID, success: true, status };
  } catch (e) {
    if (e instanceof SysError) throw new RpcError('WAIT_PID', `pid ${req.pid}: ${e.message}`, e.errno);
    throw e;
  }
}
