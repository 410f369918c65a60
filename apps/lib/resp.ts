/**
 * Redis's wire protocol (RESP2), as much as these tests use: commands go out as arrays of
 * bulk strings; replies are parsed strictly, one at a time, from a StreamConn.
 */
import { StreamConn, type Parser } from './conn';
import { AppFailure } from './util';

export class RespError {
  constructor(readonly message: string) {}
}

export type Resp = string | number | Buffer | null | RespError | Resp[];

export function encodeCommand(args: (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function parseAt(buf: Buffer, off: number): { value: Resp; next: number } | undefined {
  if (off >= buf.length) return undefined;
  const eol = buf.indexOf('\r\n', off);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[off]);
  const line = buf.toString('latin1', off + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new RespError(line), next: eol + 2 };
    case ':':
      if (!/^-?\d+$/.test(line)) throw new Error(`bad integer reply ${JSON.stringify(line)}`);
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const n = Number(line);
      if (!Number.isInteger(n) || n < -1) throw new Error(`bad bulk length ${JSON.stringify(line)}`);
      if (n === -1) return { value: null, next: eol + 2 };
      const end = eol + 2 + n;
      if (buf.length < end + 2) return undefined;
      if (buf[end] !== 13 || buf[end + 1] !== 10) throw new Error('bulk string not followed by CRLF');
      return { value: Buffer.from(buf.subarray(eol + 2, end)), next: end + 2 };
    }
    case '*': {
      const n = Number(line);
      if (!Number.isInteger(n) || n < -1) throw new Error(`bad array length ${JSON.stringify(line)}`);
      if (n === -1) return { value: null, next: eol + 2 };
      const items: Resp[] = [];
      let at = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = parseAt(buf, at);
        if (!r) return undefined;
        items.push(r.value);
        at = r.next;
      }
      return { value: items, next: at };
    }
    default:
      throw new Error(`unknown reply type byte 0x${buf[off].toString(16)}`);
  }
}

export const parseResp: Parser<Resp> = (buf) => {
  const r = parseAt(buf, 0);
  return r && { value: r.value, used: r.next };
};

export const showResp = (v: Resp): string =>
  v instanceof RespError ? `error "${v.message}"` : Buffer.isBuffer(v) ? JSON.stringify(v.subarray(0, 80).toString('latin1')) + (v.length > 80 ? `... (${v.length} bytes)` : '') : JSON.stringify(v);

/** A RESP client over a StreamConn. */
export class RespClient {
  constructor(
    readonly conn: StreamConn,
    private readonly timeoutMs: number,
  ) {}

  static async connect(label: string, port: number, timeoutMs: number): Promise<RespClient> {
    return new RespClient(await StreamConn.connect(label, port, timeoutMs), timeoutMs);
  }

  send(...args: (string | number | Buffer)[]): void {
    this.conn.write(encodeCommand(args));
  }

  reply(what = 'reply', timeoutMs = this.timeoutMs): Promise<Resp> {
    return this.conn.take(parseResp, timeoutMs, what);
  }

  async call(...args: (string | number | Buffer)[]): Promise<Resp> {
    this.send(...args);
    return this.reply(String(args[0]));
  }

  /** Sends all commands in one write, then takes their replies in order. */
  async pipeline(cmds: (string | number | Buffer)[][], what: string): Promise<Resp[]> {
    this.conn.write(Buffer.concat(cmds.map(encodeCommand)));
    const out: Resp[] = [];
    for (let i = 0; i < cmds.length; i++) out.push(await this.reply(`${what} (${i + 1}/${cmds.length})`));
    return out;
  }

  /** call() that must answer exactly `want`. */
  async expect(step: string, want: Resp, ...args: (string | number | Buffer)[]): Promise<void> {
    const got = await this.call(...args);
    const same = Buffer.isBuffer(want) && Buffer.isBuffer(got) ? want.equals(got) : JSON.stringify(got) === JSON.stringify(want) && !(got instanceof RespError);
    if (!same) throw new AppFailure(step, `${this.conn.label}: ${args.slice(0, 2).join(' ')} answered ${showResp(got)}, expected ${showResp(want)}`);
  }
}
