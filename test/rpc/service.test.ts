/**
 * `amber service --address PATH`: one process serving connection after connection (VERSION, a
 * DUMP then a RESTORE of a sleeping process, each on its own connection), reaping the trees it
 * restored when they exit, removing its socket on SIGTERM; and --daemon, which returns once
 * the detached service listens. Needs root and the build.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReqType } from '../../dist/src/rpc/messages';
import { becomeSubreaper } from '../../zdtm/runner';
import { procState, waitExit, waitPidsFree, settledState } from '../../zdtm/runner/reaper';
import { amberBin, RpcClient, sleep } from './rpc-client';

const ready = process.getuid?.() === 0 && fs.existsSync(path.join(__dirname, '../../dist/src/rpc/service.js'));

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-service-'));
  if (ready) becomeSubreaper();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function until(what: string, fn: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function startSleeper(): Promise<number> {
  const pidfile = path.join(root, `sleeper-${Date.now()}.pid`);
  const closeOthers = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null';
  const child = spawn('setsid', ['-f', 'bash', '-c', `${closeOthers}; echo $$ > ${pidfile}; exec sleep 1000`], { stdio: 'ignore' });
  await new Promise((r) => child.on('exit', r));
  let pid = 0;
  await until('the sleeper', () => {
    const t = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : '';
    if (t && fs.readFileSync(`/proc/${t}/cmdline`, 'utf8').startsWith('sleep')) pid = Number(t);
    return pid > 0;
  });
  return pid;
}

describe.skipIf(!ready)('amber service', () => {
  it('serves one connection after another, dump then restore, and reaps what it restored', async () => {
    const sock = path.join(root, 'svc.sock');
    const log = path.join(root, 'svc.log');
    // --status-fd: the service says when it listens. The socket's file alone is not enough: it
    // exists from bind on, and a connect before listen is refused (this failed a CI run).
    const svc = spawn(process.execPath, [amberBin, 'service', '--address', sock, '-o', log, '-v4', '--status-fd', '3'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    const listening = new Promise<boolean>((r) => {
      svc.stdio[3]!.once('data', () => r(true));
      svc.stdio[3]!.once('close', () => r(false));
    });
    let stderr = '';
    svc.stderr!.on('data', (b) => { stderr += b; });
    // How it ended, with what it said: if the service dies mid-test, the body's failure would
    // otherwise be hidden behind the exit check below.
    const exited = new Promise<string>((r) => svc.on('exit', (c, sig) => r(c === 0 ? 'exit 0' : `exit ${c ?? sig}\n${stderr}\n${fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-4000) : ''}`)));
    let early: string | undefined;
    void exited.then((how) => { early ??= how; });
    let pid = 0;
    try {
      expect(await listening, 'the service closed its status fd without saying it listens').toBe(true);
      const v = RpcClient.connect(sock);
      v.send({ type: ReqType.VERSION });
      expect(await v.receive()).toMatchObject({ type: ReqType.VERSION, success: true, version: { name: 'amber' } });
      expect(await v.receive()).toBeUndefined(); // one request per connection
      v.close();

      pid = await startSleeper();
      const img = path.join(root, 'img');
      fs.mkdirSync(img);
      const dirFd = fs.openSync(img, 'r'); // the client's fd: the service reads it through /proc
      try {
        const d = RpcClient.connect(sock);
        const dumped = await d.call({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid, log_level: 4, log_file: 'dump.log' } });
        d.close();
        expect(dumped.resp, fs.readFileSync(path.join(img, 'dump.log'), 'utf8')).toMatchObject({ type: ReqType.DUMP, success: true });
        expect(await waitPidsFree([pid], 10_000)).toEqual([]);

        const r = RpcClient.connect(sock);
        const restored = await r.call({ type: ReqType.RESTORE, opts: { images_dir_fd: dirFd, log_level: 4, log_file: 'restore.log', notify_scripts: true } });
        r.close();
        expect(restored.resp, fs.readFileSync(path.join(img, 'restore.log'), 'utf8')).toMatchObject({ type: ReqType.RESTORE, success: true, restore: { pid } });
        expect(restored.scripts).toEqual(['pre-restore', 'post-restore', 'network-unlock', 'pre-resume', 'post-resume']);
      } finally {
        fs.closeSync(dirFd);
      }
      await sleep(50);
      expect(await settledState(pid)).toBe('S');
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(svc.pid); // the service is its parent

      // rst_sibling has no meaning for a service: refused, and the service goes on.
      const s = RpcClient.connect(sock);
      s.send({ type: ReqType.RESTORE, opts: { images_dir_fd: -1, images_dir: img, rst_sibling: true } });
      const sib = await s.receive();
      s.close();
      expect(sib).toMatchObject({ type: ReqType.RESTORE, success: false });
      expect(sib?.cr_errmsg).toMatch(/rst_sibling is for swrk only/);

      process.kill(pid, 'SIGKILL');
      // The service reaps it between connections: the PID goes away without us.
      await until('the restored task to be reaped by the service', () => procState(pid) === undefined);
      pid = 0;
    } catch (e) {
      if (early) throw new Error(`the service ended mid-test: ${early}`, { cause: e });
      svc.kill('SIGKILL');
      throw e;
    } finally {
      if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    svc.kill('SIGTERM');
    expect(await exited).toBe('exit 0');
    expect(fs.existsSync(sock)).toBe(false);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/service listening on/);
  });

  it('--daemon returns once the detached service listens; --pidfile names it', async () => {
    const sock = path.join(root, 'daemon.sock');
    const pidfile = path.join(root, 'daemon.pid');
    const d = spawn(process.execPath, [amberBin, 'service', '-d', '--address', sock, '--pidfile', pidfile], { stdio: 'ignore' });
    expect(await new Promise((r) => d.on('exit', (c) => r(c)))).toBe(0);
    expect(fs.existsSync(sock)).toBe(true);
    const pid = Number(fs.readFileSync(pidfile, 'utf8'));
    try {
      const c = RpcClient.connect(sock);
      c.send({ type: ReqType.CHECK });
      expect(await c.receive()).toMatchObject({ type: ReqType.CHECK, success: true });
      c.close();
    } finally {
      process.kill(pid, 'SIGTERM');
      await waitExit(pid, 5000);
    }
    await until('the daemon to remove its socket', () => !fs.existsSync(sock));
  });
});
