/**
 * The suite's own CRIU RPC client: criu_req/criu_resp one per SOCK_SEQPACKET packet (the
 * messages of dist/src/rpc/messages), over a connection to `amber service` (RpcClient.connect)
 * or a socketpair whose other end is fd 3 of a `bin/amber swrk 3` it spawns (SwrkClient). Reads
 * poll a non-blocking socket, so a hung server fails the test by its timeout instead of
 * blocking the worker.
 */
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../../dist/src/native';
import { CriuReq, CriuResp, decodeResp, encodeReq, ReqType } from '../../dist/src/rpc/messages';
import { unixSockaddr } from '../../dist/src/net/sockaddr';

const AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0o2000000;
const MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40;

export const amberBin = path.join(__dirname, '../../bin/amber');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RpcClient {
  constructor(readonly fd: number) {}

  /** A connection to `amber service` listening on socketPath. */
  static connect(socketPath: string): RpcClient {
    const fd = native.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    native.connect(fd, unixSockaddr(Buffer.from(socketPath)));
    return new RpcClient(fd);
  }

  send(req: CriuReq): void {
    native.sendmsg(this.fd, encodeReq(req), null, null, 0);
  }

  sendRaw(bytes: Buffer): void {
    native.sendmsg(this.fd, bytes, null, null, 0);
  }

  /** The next answer; undefined when amber closed its end. */
  async receive(timeoutMs = 30_000): Promise<CriuResp | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let size: number;
      try {
        size = native.recvmsg(this.fd, 0, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT).n;
      } catch (e) {
        if ((e as { code?: string }).code !== 'EAGAIN') throw e;
        if (Date.now() > deadline) throw new Error('no answer from amber swrk in time');
        await sleep(5);
        continue;
      }
      if (size === 0) return undefined;
      return decodeResp(native.recvmsg(this.fd, size, 0, 0).data);
    }
  }

  /** Sends req and answers every NOTIFY (true unless refuse(script)); returns the final answer and the scripts seen. */
  async call(req: CriuReq, refuse: (script: string) => boolean = () => false): Promise<{ resp: CriuResp | undefined; scripts: string[]; pids: number[] }> {
    this.send(req);
    const scripts: string[] = [];
    const pids: number[] = [];
    for (;;) {
      const resp = await this.receive();
      if (!resp || resp.type !== ReqType.NOTIFY) return { resp, scripts, pids };
      scripts.push(resp.notify!.script!);
      pids.push(resp.notify!.pid ?? 0);
      this.send({ type: ReqType.NOTIFY, notify_success: !refuse(resp.notify!.script!) });
    }
  }

  close(): void {
    try { fs.closeSync(this.fd); } catch { /* closed */ }
  }
}

export class SwrkClient extends RpcClient {
  readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  private constructor(fd: number, theirs: number, errFile: string, extra: number[]) {
    super(fd);
    const err = fs.openSync(errFile, 'a');
    this.child = spawn(process.execPath, [amberBin, 'swrk', '3'], { stdio: ['ignore', 'ignore', err, theirs, ...extra] });
    fs.closeSync(err);
    fs.closeSync(theirs);
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  /** Starts `amber swrk 3`; its stderr goes to errFile; extra fds become its fds 4, 5, ... */
  static start(errFile: string, extra: number[] = []): SwrkClient {
    const [ours, theirs] = native.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    return new SwrkClient(ours, theirs, errFile, extra);
  }

  /** Closes our end and waits for amber to exit; its exit code. */
  override close(): Promise<number | null> {
    super.close();
    return this.exited;
  }
}
