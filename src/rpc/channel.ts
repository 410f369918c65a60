/**
 * One RPC connection: a SOCK_SEQPACKET socket carrying one message per packet. Blocking and
 * synchronous, as dump and restore are: a NOTIFY round trip happens in the middle of one.
 */
import { native } from '../native';
import { RpcError } from '../errors';
import { Logger } from '../log';
import { CriuReq, CriuResp, decodeReq, encodeResp, reqTypeName } from './messages';

const MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_NOSIGNAL = 0x4000;
/** CRIU's requests are a few hundred bytes; anything past this is not a criu_req. */
const MAX_PACKET = 1 << 20;

export class RpcChannel {
  constructor(readonly fd: number, private readonly log: Logger) {}

  /** The next request, or undefined when the peer closed its end (or sent an empty packet). */
  receive(): CriuReq | undefined {
    const size = native.recvmsg(this.fd, 0, 0, MSG_PEEK | MSG_TRUNC).n;
    if (size === 0) {
      native.recvmsg(this.fd, 0, 0, 0); // an empty packet, if that is what it was
      return undefined;
    }
    if (size > MAX_PACKET) {
      native.recvmsg(this.fd, 0, 0, 0);
      throw new RpcError('request', `a packet of ${size} bytes is no criu_req`);
    }
    const data = native.recvmsg(this.fd, size, 0, 0).data;
    let req: CriuReq;
    try {
      req = decodeReq(data);
    } catch (e) {
      throw new RpcError('request', `malformed criu_req (${(e as Error).message})`);
    }
    this.log.debug(`<- ${reqTypeName(req.type)}${req.keep_open ? ' (keep_open)' : ''}`);
    return req;
  }

  send(resp: CriuResp): void {
    this.log.debug(`-> ${reqTypeName(resp.type)} success=${resp.success}${resp.cr_errmsg ? `: ${resp.cr_errmsg}` : ''}`);
    native.sendmsg(this.fd, encodeResp(resp), null, null, MSG_NOSIGNAL);
  }
}
