/**
 * A client TCP connection held by the harness, with strict accounting: every byte that
 * arrives is buffered until a parser takes it, and anything that happens to the connection
 * (FIN, reset, error) is recorded. A connection kept across checkpoints must show none of
 * that, and must hold no byte nobody asked for.
 */
import * as net from 'node:net';
import { AppFailure } from './util';

/** Finds one complete message at the start of buf: its value and how many bytes it took. */
export type Parser<T> = (buf: Buffer) => { value: T; used: number } | undefined;

export class StreamConn {
  private buf: Buffer = Buffer.alloc(0);
  private wake?: () => void;
  private closedByUs = false;
  /** What happened to the connection other than data: FIN, error, close. */
  readonly events: string[] = [];
  /** Peer closed or error: nothing more will arrive. */
  ended = false;
  /** A take() timed out: replies and requests may be out of step. */
  desynced = false;
  bytesIn = 0;
  bytesOut = 0;
  readonly localPort: number;

  private constructor(
    readonly label: string,
    readonly socket: net.Socket,
  ) {
    this.localPort = socket.localPort ?? 0;
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.bytesIn += d.length;
      this.poke();
    });
    socket.on('end', () => this.note('end of stream: the peer closed the connection'));
    socket.on('error', (e: NodeJS.ErrnoException) => this.note(`socket error ${e.code ?? e.message}`));
    socket.on('close', () => this.note('closed'));
  }

  static connect(label: string, port: number, timeoutMs: number): Promise<StreamConn> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(new AppFailure('connect', `${label}: connect to 127.0.0.1:${port} timed out`));
      }, timeoutMs);
      s.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new AppFailure('connect', `${label}: connect to 127.0.0.1:${port}: ${e.code ?? e.message}`));
      });
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(new StreamConn(label, s));
      });
    });
  }

  private note(what: string): void {
    if (!this.closedByUs) this.events.push(`${new Date().toISOString()} ${what}`);
    this.ended = true;
    this.poke();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  write(data: Buffer | string): void {
    if (this.ended) throw new AppFailure('io', `${this.label}: cannot write, the connection is gone (${this.events.join('; ')})`);
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    this.bytesOut += b.length;
    this.socket.write(b);
  }

  /** Stops reading: what the peer sends piles up in the kernel's queues (ours and its). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Bytes received that no parser took yet. */
  unread(): number {
    return this.buf.length;
  }

  /** Why this connection is no longer usable, or undefined while it is fine. */
  problem(): string | undefined {
    if (this.events.length > 0) return `${this.label}: ${this.events.join('; ')}`;
    if (this.desynced) return `${this.label}: an earlier answer never came`;
    return undefined;
  }

  /** Takes one message, waiting for its bytes up to timeoutMs. */
  async take<T>(parse: Parser<T>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let r: { value: T; used: number } | undefined;
      try {
        r = parse(this.buf);
      } catch (e) {
        this.desynced = true;
        throw new AppFailure('protocol', `${this.label}: ${what}: ${(e as Error).message}`, [`buffered: ${JSON.stringify(this.buf.subarray(0, 200).toString('latin1'))}`]);
      }
      if (r) {
        this.buf = this.buf.subarray(r.used);
        return r.value;
      }
      if (this.ended) {
        throw new AppFailure('io', `${this.label}: ${what}: the connection ended before the answer (${this.events.join('; ') || 'closed by us'}; ${this.buf.length} bytes of a partial answer)`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.desynced = true;
        throw new AppFailure('io', `${this.label}: ${what}: no (complete) answer within ${(timeoutMs / 1000).toFixed(1)} s (${this.buf.length} bytes buffered)`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** After asking the peer to close: waits for its FIN, with nothing left unread. */
  async waitPeerClose(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (!this.ended) throw new AppFailure('io', `${this.label}: the server did not close the connection within ${(timeoutMs / 1000).toFixed(1)} s`);
    if (this.buf.length > 0) throw new AppFailure('io', `${this.label}: ${this.buf.length} unexpected bytes before the close`);
    this.close();
  }

  close(): void {
    this.closedByUs = true;
    this.socket.destroy();
  }
}
