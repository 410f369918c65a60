/** The process at the other end of a unix socket (SO_PEERCRED): pid and uid. */
import { native } from '../native';

const SOL_SOCKET = 1, SO_PEERCRED = 17;

export function peerCred(fd: number): { pid: number; uid: number } {
  const b = native.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, 12);
  return { pid: b.readInt32LE(0), uid: b.readUInt32LE(4) };
}
