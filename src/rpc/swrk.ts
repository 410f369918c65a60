/**
 * `amber swrk FD`: serve CRIU's RPC on an inherited SOCK_SEQPACKET socket (the client made a
 * socketpair and passed one end), as `criu swrk` does for runc, crun (libcriu), go-criu and
 * pycriu. One request, or more with keep_open; amber exits when the connection ends.
 */
import * as fs from 'node:fs';
import { UsageError } from '../errors';
import { Logger } from '../log';
import { native } from '../native';
import { RpcChannel } from './channel';
import { serveConnection } from './dispatch';
import { peerCred } from './peer';

const SOL_SOCKET = 1, SO_TYPE = 3, SOCK_SEQPACKET = 5, F_SETFD = 2, FD_CLOEXEC = 1;

export function parseSwrkFd(args: string[]): number {
  if (args.length !== 1 || !/^\d+$/.test(args[0])) throw new UsageError('usage: amber swrk FD (an inherited SOCK_SEQPACKET socket)');
  const fd = Number(args[0]);
  let type: number;
  try {
    if (!fs.fstatSync(fd).isSocket()) throw new UsageError(`swrk: fd ${fd} is not a socket`);
    type = native.getsockopt(fd, SOL_SOCKET, SO_TYPE, 4).readInt32LE(0);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`swrk: fd ${fd} is not an open socket`);
  }
  if (type !== SOCK_SEQPACKET) throw new UsageError(`swrk: fd ${fd} is not a SOCK_SEQPACKET socket`);
  return fd;
}

export function runSwrk(args: string[], version: string, log: Logger): void {
  const fd = parseSwrkFd(args);
  native.fcntl(fd, F_SETFD, FD_CLOEXEC); // not for the helpers amber runs (nft, iptables)
  const channel = new RpcChannel(fd, log.child('rpc'));
  serveConnection({ channel, log: log.child('swrk'), mode: 'swrk', peerPid: peerCred(fd).pid, version });
  fs.closeSync(fd);
}
