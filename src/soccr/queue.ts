/**
 * Writing a saved queue into a socket: in repair mode send() appends to whichever queue
 * TCP_REPAIR_QUEUE selected (the receive queue, or the send queue as already-sent data);
 * outside repair mode it is an ordinary send.
 *
 * A fresh socket's buffers are the sysctl defaults, often smaller than the queue the old
 * socket had grown into by autotuning. When the kernel refuses (EAGAIN: send buffer full,
 * ENOMEM: receive memory) the buffer is raised with SO_*BUFFORCE and the write retried;
 * the caller later clears the lock this sets (SO_BUF_LOCK) so autotuning carries on.
 */
import { native } from '../native';
import { MSG_DONTWAIT, SOL_SOCKET, SO_RCVBUF, SO_RCVBUFFORCE, SO_SNDBUF, SO_SNDBUFFORCE } from './constants';
import { errnoOf } from './errors';
import { getInt, setInt } from './sockopt';

const EAGAIN = 11;
const ENOMEM = 12;
/** Each repair-mode send into the receive queue becomes one skb of that size: keep it modest. */
const FIRST_CHUNK = 64 * 1024;
const MIN_CHUNK = 1024;
/** Growing the buffer beyond this is not going to help; the write is failing for another reason. */
const MAX_BUFFER = 1 << 30;

export type QueueKind = 'recv' | 'send';

/** Remembers whether a write had to force a buffer size, so the caller can unlock it. */
export interface BufferGrowth {
  grew: boolean;
}

function grow(fd: number, kind: QueueKind, remaining: number): boolean {
  const [get, force] = kind === 'recv' ? [SO_RCVBUF, SO_RCVBUFFORCE] : [SO_SNDBUF, SO_SNDBUFFORCE];
  const now = getInt(fd, SOL_SOCKET, get);
  if (now >= MAX_BUFFER) return false;
  // The kernel doubles the value it is given (for its bookkeeping); getsockopt reports the doubled
  // size. Aim at twice what is left, since skb overhead also counts against the limit.
  const target = Math.min(MAX_BUFFER, Math.max(now * 2, now + remaining * 2));
  setInt(fd, SOL_SOCKET, force, Math.ceil(target / 2));
  return true;
}

/** Writes all of `data`; throws the SysError of the syscall that could not make progress. */
export function writeQueue(fd: number, data: Buffer, kind: QueueKind, growth: BufferGrowth): void {
  let off = 0;
  let chunk = FIRST_CHUNK;
  let grownSinceProgress = false;
  while (off < data.length) {
    const piece = data.subarray(off, Math.min(data.length, off + chunk));
    try {
      off += native.sendmsg(fd, piece, null, null, MSG_DONTWAIT);
      grownSinceProgress = false;
    } catch (e) {
      const errno = errnoOf(e);
      if (errno !== EAGAIN && errno !== ENOMEM) throw e;
      if (!grownSinceProgress && grow(fd, kind, data.length - off)) {
        growth.grew = true;
        grownSinceProgress = true;
        continue;
      }
      // A bigger buffer did not help: the allocation itself may be too large, try smaller skbs.
      if (errno === ENOMEM && chunk > MIN_CHUNK) {
        chunk = Math.max(MIN_CHUNK, chunk >> 1);
        continue;
      }
      throw e;
    }
  }
}
