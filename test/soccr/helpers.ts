/** Raw-fd loopback TCP plumbing for the soccr tests (Node's net sockets are libuv's, not ours). */
import * as fs from 'node:fs';
import { native } from '../../dist/src/native';
import { encodeSockaddr, parseSockaddr } from '../../dist/src/soccr';

export const AF_INET = 2, AF_INET6 = 10;
const SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1, SO_RCVBUF = 8, SO_SNDBUF = 7, SOL_TCP = 6, TCP_INFO = 11;
const F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0o4000;
const EAGAIN = 11;

export function setInt(fd: number, level: number, name: number, v: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  native.setsockopt(fd, level, name, b);
}

export function tcpState(fd: number): number {
  return native.getsockopt(fd, SOL_TCP, TCP_INFO, 8)[0];
}

export function newSocket(family: number): number {
  return native.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

export function nonblocking(fd: number): void {
  native.fcntl(fd, F_SETFL, native.fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
}

export interface Pair {
  client: number;
  server: number;
  listener: number;
  close(): void;
}

const open = new Set<number>();
export function closeFd(fd: number): void {
  if (!open.delete(fd)) return;
  fs.closeSync(fd);
}
export function track(fd: number): number {
  open.add(fd);
  return fd;
}
export function closeAll(): void {
  for (const fd of [...open]) closeFd(fd);
}

/** A connected loopback pair; `serverRcvbuf`/`clientRcvbuf` shrink a receive buffer before the handshake. */
export function tcpPair(family: number, opts: { serverRcvbuf?: number; clientRcvbuf?: number; sndbuf?: number } = {}): Pair {
  const address = family === AF_INET ? '127.0.0.1' : '::1';
  const listener = track(newSocket(family));
  if (opts.serverRcvbuf) setInt(listener, SOL_SOCKET, SO_RCVBUF, opts.serverRcvbuf);
  native.bind(listener, encodeSockaddr(family, { address, port: 0 }));
  native.listen(listener, 4);
  const port = parseSockaddr(native.getsockname(listener)).endpoint.port;
  const client = track(newSocket(family));
  if (opts.clientRcvbuf) setInt(client, SOL_SOCKET, SO_RCVBUF, opts.clientRcvbuf);
  if (opts.sndbuf) setInt(client, SOL_SOCKET, SO_SNDBUF, opts.sndbuf);
  native.connect(client, encodeSockaddr(family, { address, port }));
  nonblocking(client);
  const server = track(native.accept4(listener, SOCK_NONBLOCK | SOCK_CLOEXEC));
  return { client, server, listener, close: () => [client, server, listener].forEach(closeFd) };
}

/** Writes as much of `data` as the socket takes without blocking; returns the count. */
export function sendSome(fd: number, data: Buffer): number {
  let off = 0;
  while (off < data.length) {
    try {
      off += native.sendmsg(fd, data.subarray(off), null, null, 0);
    } catch (e) {
      if ((e as { errno?: number }).errno === EAGAIN) break;
      throw e;
    }
  }
  return off;
}

/** What recv returns right now: bytes, 'eof' or 'eagain'. Errors (ECONNRESET...) throw. */
export function recvNow(fd: number, max = 1 << 20): Buffer | 'eof' | 'eagain' {
  try {
    const r = native.recvmsg(fd, max, 0, 0);
    return r.n === 0 ? 'eof' : r.data;
  } catch (e) {
    if ((e as { errno?: number }).errno === EAGAIN) return 'eagain';
    throw e;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads until `n` bytes arrived (or EOF/timeout); returns what came. */
export async function recvBytes(fd: number, n: number, timeoutMs = 10_000): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  const deadline = Date.now() + timeoutMs;
  while (got < n && Date.now() < deadline) {
    const r = recvNow(fd, Math.min(1 << 20, n - got));
    if (r === 'eof') break;
    if (r === 'eagain') { await sleep(2); continue; }
    parts.push(r);
    got += r.length;
  }
  return Buffer.concat(parts);
}

/** Waits until recv reports EOF (after draining nothing: the caller read all data first). */
export async function waitEof(fd: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = recvNow(fd);
    if (r === 'eof') return true;
    if (r !== 'eagain') throw new Error(`unexpected ${r.length} bytes while waiting for EOF`);
    await sleep(2);
  }
  return false;
}

export async function waitState(fd: number, state: number, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let s = tcpState(fd);
  while (s !== state && Date.now() < deadline) {
    await sleep(5);
    s = tcpState(fd);
  }
  return s;
}

/** Deterministic bytes: a counter pattern with a per-stream tag, so a misplaced byte shows. */
export function pattern(n: number, tag: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + tag + (i >> 8)) & 0xff;
  return b;
}

/** Buffer equality without vitest's element-by-element diffing (slow on megabytes); reports where they part. */
export function sameBytes(got: Buffer, want: Buffer): string {
  if (got.equals(want)) return 'same';
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  return `differ: ${got.length} vs ${want.length} bytes, first difference at ${i}`;
}

export function encodeAddr(family: number, port: number): Buffer {
  return encodeSockaddr(family, { address: family === AF_INET ? '127.0.0.1' : '::1', port });
}
