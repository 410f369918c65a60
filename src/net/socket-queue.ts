/**
 * Reading a socket's receive queue without consuming it: MSG_PEEK from a duplicate of the socket,
 * with SO_PEEK_OFF moving through the queue, so the task finds every byte still there. Unix
 * sockets hand over in-flight fds and the senders' credentials as they are peeked.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { SysError } from '../errors';
import { parseControl, Ucred } from './cmsg';
import { getInt, setInt, SO, SOL_SOCKET } from './sockopt';

const MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_CTRUNC = 0x8, MSG_DONTWAIT = 0x40;
const CHUNK = 256 * 1024;
const SIOCINQ = 0x541b;
const MAX_MESSAGES = 1 << 20;
/** Room for SCM_MAX_FD (253) fds and one SCM_CREDENTIALS message. */
const CONTROL_LEN = 253 * 4 + 64;

export interface QueuedPacket {
  data: Buffer;
  /** Sender's address (datagram sockets). */
  addr?: Buffer;
  /** Fds in flight, now duplicated into the dumper (the caller describes and closes them). */
  fds: number[];
  creds?: Ucred;
}

/**
 * Every message (datagram sockets) or run of bytes (stream) queued on fd, up to `expected` bytes.
 * `withCreds`: turn SO_PASSCRED on while peeking so each message's sender comes along.
 */
export function peekQueue(fd: number, expected: number, kind: 'stream' | 'seqpacket' | 'dgram', withCreds: boolean, eofPossible: boolean, what: string): QueuedPacket[] {
  // A stream's queue is `expected` bytes. Messages are peeked until EAGAIN: a zero-length one is
  // a message (peeking moves past it), unless the receive side is shut and all bytes are read.
  const stream = kind === 'stream';
  // Most streams have nothing queued: no option to move and put back.
  if (stream && expected <= 0) return [];
  const peekOff = getInt(fd, SOL_SOCKET, SO.PEEK_OFF);
  const passcred = withCreds ? getInt(fd, SOL_SOCKET, SO.PASSCRED) : 0;
  const out: QueuedPacket[] = [];
  setInt(fd, SOL_SOCKET, SO.PEEK_OFF, 0);
  if (withCreds && !passcred) setInt(fd, SOL_SOCKET, SO.PASSCRED, 1);
  try {
    let total = 0;
    // A stream's size is known: a buffer of exactly that (most queues are small).
    let size = stream ? Math.min(CHUNK, expected) : CHUNK;
    for (let i = 0; stream ? total < expected : true; i++) {
      if (i > MAX_MESSAGES) throw new SysError(7 /* E2BIG */, `${what}: more than ${MAX_MESSAGES} queued messages`);
      let r;
      try {
        r = native.recvmsg(fd, size, CONTROL_LEN, MSG_PEEK | MSG_DONTWAIT);
      } catch (e) {
        if (e instanceof SysError && e.code === 'EAGAIN') break;
        throw e;
      }
      const ctl = parseControl(r.control);
      if ((r.flags & MSG_TRUNC) && !stream) {
        // Larger than the buffer: peek the same datagram again (the offset did not move) with room.
        closeAll(ctl.fds);
        setInt(fd, SOL_SOCKET, SO.PEEK_OFF, total);
        size = r.n + 1;
        continue;
      }
      if (r.flags & MSG_CTRUNC || ctl.unknown.length) {
        closeAll(ctl.fds);
        const u = ctl.unknown[0];
        throw new SysError(95 /* EOPNOTSUPP */, u ? `${what}: a queued message carries control data of level ${u.level} type ${u.type}` : `${what}: control data of a queued message does not fit`);
      }
      if (r.data.length === 0 && ctl.fds.length === 0 && (stream || (eofPossible && total >= expected))) break;
      out.push({ data: r.data, addr: stream ? undefined : r.addr, fds: ctl.fds, creds: ctl.creds });
      total += r.data.length;
      if (stream) size = Math.max(1, Math.min(CHUNK, expected - total));
    }
  } finally {
    setInt(fd, SOL_SOCKET, SO.PEEK_OFF, peekOff);
    if (withCreds && !passcred) setInt(fd, SOL_SOCKET, SO.PASSCRED, 0);
  }
  return out;
}

function closeAll(fds: number[]): void {
  for (const f of fds) fs.closeSync(f);
}

/**
 * Bytes waiting to be read (SIOCINQ), or for sockets without that ioctl (netlink, ping) the
 * size of the first waiting message, found by peeking; 0 when nothing waits.
 */
export function queuedBytes(fd: number): number {
  try {
    return native.ioctlInt(fd, SIOCINQ);
  } catch (e) {
    if (!(e instanceof SysError) || (e.code !== 'ENOTTY' && e.code !== 'EOPNOTSUPP' && e.code !== 'EINVAL')) throw e;
  }
  try {
    const r = native.recvmsg(fd, 1, 0, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
    return Math.max(r.n, 1);
  } catch (e) {
    if (e instanceof SysError && e.code === 'EAGAIN') return 0;
    throw e;
  }
}
