/** criu_opts' socket fields as amber's SocketOptions (CRIU's defaults where the client set none). */
import { SocketOptions, NO_SOCKET_OPTIONS } from '../files/types';
import { LockMethod } from '../net/network-lock';
import { RpcError } from '../errors';
import { CriuOpts, isSet, NetworkLock } from './messages';

const LOCK_METHODS: Record<number, LockMethod> = { [NetworkLock.IPTABLES]: 'iptables', [NetworkLock.NFTABLES]: 'nftables', [NetworkLock.SKIP]: 'skip' };

export function socketOptions(request: string, o: CriuOpts): SocketOptions {
  let networkLock = NO_SOCKET_OPTIONS.networkLock;
  // The field's declared default (IPTABLES) is not CRIU's: only a value the client sent counts.
  if (isSet(o, 'network_lock')) {
    const m = LOCK_METHODS[o.network_lock!];
    if (!m) throw new RpcError(request, `unknown network_lock method ${o.network_lock}`, 22);
    networkLock = m;
  }
  return {
    tcpEstablished: !!o.tcp_established,
    extUnixSk: !!o.ext_unix_sk,
    tcpClose: !!o.tcp_close,
    skipInFlight: !!o.tcp_skip_in_flight,
    networkLock,
  };
}
