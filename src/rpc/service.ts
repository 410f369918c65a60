/**
 * `amber service --address PATH`: a unix SOCK_SEQPACKET listener; each connection is served
 * as swrk serves its socket (one request, more with keep_open), in this process, so a request
 * pays no start-up. Clients must be root. The client's fd numbers in criu_opts are the
 * client's: amber reads them through /proc/PID/fd or takes them with pidfd_getfd. Between
 * connections amber reaps the trees it restored once they exit (it is their parent).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { native } from '../native';
import { AmberError, RpcError, SysError, UsageError } from '../errors';
import { Logger } from '../log';
import { unixSockaddr, AF_UNIX } from '../net/sockaddr';
import { RpcChannel } from './channel';
import { failureResponse, serveConnection } from './dispatch';
import { peerCred } from './peer';
import { parseServiceArgs, ServiceArgs } from './service-args';
import { RpcContext } from './context';

const SOCK_SEQPACKET = 5, SOCK_NONBLOCK = 0o4000, SOCK_CLOEXEC = 0o2000000;
const EAGAIN = 11, ECHILD = 10, WNOHANG = 1, __WALL = 0x40000000;
const POLL_MS = 5;

function listen(address: string): number {
  const fd = native.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  try {
    if (fs.existsSync(address) && fs.lstatSync(address).isSocket()) fs.unlinkSync(address);
    native.bind(fd, unixSockaddr(Buffer.from(address)));
    native.listen(fd, 128);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw new AmberError(`service: cannot listen on ${address}: ${(e as Error).message}`, { cause: e });
  }
}

/** Children (restored trees) that exited; none of them is traced between connections. */
function reapExited(log: Logger): void {
  for (;;) {
    try {
      const [pid, status] = native.waitpid(-1, WNOHANG | __WALL);
      if (pid <= 0) return;
      log.debug(`reaped ${pid} (status 0x${status.toString(16)})`);
    } catch (e) {
      if (e instanceof SysError && e.errno === ECHILD) return;
      throw e;
    }
  }
}

function serveClient(fd: number, version: string, log: Logger): void {
  const peer = peerCred(fd);
  const channel = new RpcChannel(fd, log.child('rpc'));
  const ctx: RpcContext = { channel, log, mode: 'service', peerPid: peer.pid, version };
  if (peer.uid !== 0) {
    const req = channel.receive();
    if (req) channel.send(failureResponse(req.type, new RpcError('service', `amber's service serves root clients only (pid ${peer.pid} is uid ${peer.uid})`, 1)));
    return;
  }
  log.info(`client ${peer.pid} connected`);
  serveConnection(ctx);
}

/** --daemon: the same service, detached, started again; returns once it listens. */
function daemonize(argv: string[], log: Logger): void {
  const args = argv.filter((a) => a !== '-d' && a !== '--daemon');
  const child = spawn(process.execPath, [process.argv[1], 'service', ...args, '--status-fd', '3'], { detached: true, stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
  let ready = false;
  child.stdio[3]!.on('data', () => { ready = true; });
  child.stdio[3]!.on('close', () => {
    if (!ready) { log.error('service: the daemon did not start'); process.exitCode = 1; }
    child.unref();
    (child.stdio[3] as unknown as { destroy(): void }).destroy();
  });
}

export function runService(argv: string[], version: string, openLog: (a: ServiceArgs) => Logger): void {
  const args = parseServiceArgs(argv);
  const log = openLog(args);
  if (args.daemon) return daemonize(argv, log);
  if (args.workDir) process.chdir(args.workDir);
  if (args.address === './criu_service.socket') log.warn(`binding to ${path.resolve(args.address)} (no --address)`);
  const address = path.resolve(args.address);
  let stopped = false;
  let lfd = -1;
  const stop = () => {
    stopped = true;
    if (lfd < 0) return;
    try { fs.closeSync(lfd); } catch { /* closed */ }
    try { fs.unlinkSync(address); } catch { /* gone */ }
    log.info('service stopped');
  };
  // Before the socket exists: a SIGTERM the moment it appears (bind comes before listen, so a
  // client can see the file and still be refused) must stop the service, not kill it.
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  lfd = listen(args.address);
  if (stopped) return stop();
  if (args.pidfile) fs.writeFileSync(args.pidfile, `${process.pid}`);
  if (args.statusFd !== undefined) {
    try { fs.writeSync(args.statusFd, Buffer.alloc(1)); fs.closeSync(args.statusFd); } catch { throw new UsageError(`service: --status-fd ${args.statusFd} is not open`); }
  }
  log.info(`amber ${version} service listening on ${address}`);
  const tick = () => {
    if (stopped) return;
    for (;;) {
      let c: number;
      try {
        c = native.accept4(lfd, SOCK_CLOEXEC);
      } catch (e) {
        if (e instanceof SysError && e.errno === EAGAIN) break;
        log.error(`accept: ${(e as Error).message}`);
        break;
      }
      try {
        serveClient(c, version, log);
      } catch (e) {
        log.error(`connection: ${(e as Error).message}`);
      } finally {
        fs.closeSync(c);
      }
    }
    reapExited(log);
    setTimeout(tick, POLL_MS);
  };
  tick();
}
