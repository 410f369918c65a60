/**
 * `amber swrk FD` with the suite's own RPC client (rpc-client.ts): VERSION, FEATURE_CHECK,
 * CHECK, requests and options amber does not serve (answered, never dropped), a malformed packet,
 * and a DUMP of a sleeping helper then its RESTORE, with the NOTIFY round trips of both. Needs
 * root and the build (dist/, bin/amber).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { ReqType } from '../../dist/src/rpc/messages';
import { becomeSubreaper } from '../../zdtm/runner';
import { procState, waitExit, waitPidsFree, settledState } from '../../zdtm/runner/reaper';
import { amberBin, sleep, SwrkClient } from './rpc-client';

const isRoot = process.getuid?.() === 0;
const ready = isRoot && fs.existsSync(amberBin) && fs.existsSync(path.join(__dirname, '../../dist/src/rpc/swrk.js'));

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-rpc-'));
  if (ready) becomeSubreaper();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const alive = (pid: number) => { const s = procState(pid); return s !== undefined && s !== 'Z' && s !== 'X'; };

/** A `sleep` in a session of its own, with no fd but /dev/null stdio; its PID. */
async function startSleeper(dir: string): Promise<number> {
  const pidfile = path.join(dir, 'sleeper.pid');
  const closeOthers = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null';
  const child = spawn('setsid', ['-f', 'bash', '-c', `${closeOthers}; echo $$ > ${pidfile}; exec sleep 1000`], { stdio: 'ignore', cwd: dir });
  await new Promise((r) => child.on('exit', r));
  for (let i = 0; i < 500; i++) {
    const t = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : '';
    if (t && fs.readFileSync(`/proc/${t}/cmdline`, 'utf8').startsWith('sleep')) return Number(t);
    await sleep(10);
  }
  throw new Error('the sleeper did not start');
}

function caseDir(name: string): string {
  const d = path.join(root, name);
  fs.mkdirSync(path.join(d, 'img'), { recursive: true });
  return d;
}

describe.skipIf(!ready)('amber swrk', () => {
  it('answers VERSION with the CRIU interface version amber speaks (4.2), then FEATURE_CHECK and CHECK on the same connection (keep_open)', async () => {
    const c = SwrkClient.start(path.join(root, 'info.err'));
    c.send({ type: ReqType.VERSION, keep_open: true });
    const v = await c.receive();
    expect(v).toMatchObject({ type: ReqType.VERSION, success: true, version: { major_number: 4, minor_number: 2, sublevel: 0, name: 'amber' } });
    expect(v?.version?.gitid || undefined).toBeUndefined();

    c.send({ type: ReqType.FEATURE_CHECK, keep_open: true, features: { mem_track: true, lazy_pages: true } });
    const f = await c.receive();
    expect(f?.type).toBe(ReqType.FEATURE_CHECK);
    expect(f?.success).toBe(true);
    // amber has neither yet; what was not asked is not answered.
    expect(f?.features).toMatchObject({ mem_track: false, lazy_pages: false });
    expect(Object.prototype.hasOwnProperty.call(f!.features, 'pidfd_store')).toBe(false);

    c.send({ type: ReqType.CHECK });
    const k = await c.receive();
    expect(k).toMatchObject({ type: ReqType.CHECK, success: true });
    // No keep_open on the last one: amber ends the connection and exits 0.
    expect(await c.receive()).toBeUndefined();
    expect(await c.close()).toBe(0);
  });

  it('answers requests and options it does not serve with success=false and the reason, and a malformed packet too', async () => {
    const c = SwrkClient.start(path.join(root, 'refused.err'));
    for (const [type, why] of [[ReqType.PRE_DUMP, /pre-dump/], [ReqType.PAGE_SERVER, /page server/], [ReqType.CPUINFO_DUMP, /cpuinfo/], [ReqType.SINGLE_PRE_DUMP, /pre-dump/]] as const) {
      const s = SwrkClient.start(path.join(root, 'refused.err'));
      s.send({ type, keep_open: true });
      const r = await s.receive();
      expect(r).toMatchObject({ type, success: false });
      expect(r?.cr_errmsg).toMatch(why);
      expect(await s.receive()).toBeUndefined(); // a failed request ends the connection, as with CRIU
      await s.close();
    }
    const dir = fs.openSync(caseDir('refused'), 'r');
    c.send({ type: ReqType.DUMP, opts: { images_dir_fd: dir, pid: process.pid, track_mem: true, lazy_pages: true } });
    const r = await c.receive();
    fs.closeSync(dir);
    expect(r).toMatchObject({ type: ReqType.DUMP, success: false, cr_errno: 56 });
    expect(r?.cr_errmsg).toMatch(/track_mem \(.*incremental/);
    expect(r?.cr_errmsg).toMatch(/lazy_pages/);
    await c.close();

    const m = SwrkClient.start(path.join(root, 'refused.err'));
    m.sendRaw(Buffer.from([0x08])); // a varint key with no value: not a criu_req
    const bad = await m.receive();
    expect(bad?.success).toBe(false);
    expect(bad?.cr_errmsg).toMatch(/malformed criu_req/);
    await m.close();
  });

  it('refuses to dump a tree that holds amber itself (the client, when no pid is given)', async () => {
    const c = SwrkClient.start(path.join(root, 'self.err'));
    const dir = fs.openSync(caseDir('self'), 'r');
    c.send({ type: ReqType.DUMP, opts: { images_dir_fd: dir } });
    const r = await c.receive();
    fs.closeSync(dir);
    expect(r).toMatchObject({ type: ReqType.DUMP, success: false });
    expect(r?.cr_errmsg).toMatch(/inside the tree/);
    await c.close();
  });

  it('dumps a sleeping process and restores it, with the NOTIFY round trips of both in CRIU\'s order', async () => {
    const d = caseDir('dump-restore');
    const pid = await startSleeper(d);
    const dirFd = fs.openSync(path.join(d, 'img'), 'r');
    try {
      const c = SwrkClient.start(path.join(d, 'dump.err'));
      const dumped = await c.call({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid, notify_scripts: true, log_level: 4, log_file: 'dump.log' } });
      expect(dumped.resp, fs.readFileSync(path.join(d, 'img', 'dump.log'), 'utf8')).toMatchObject({ type: ReqType.DUMP, success: true, dump: { restored: false } });
      // The tree was killed after the dump: no network-unlock.
      expect(dumped.scripts).toEqual(['pre-dump', 'network-lock', 'post-dump']);
      expect(dumped.pids).toEqual([pid, pid, pid]);
      expect(await c.close()).toBe(0);
      expect(await waitPidsFree([pid], 10_000)).toEqual([]);
      expect(fs.existsSync(path.join(d, 'img', 'pstree.img'))).toBe(true);

      const r = SwrkClient.start(path.join(d, 'restore.err'));
      const restored = await r.call({ type: ReqType.RESTORE, opts: { images_dir_fd: dirFd, notify_scripts: true, log_level: 4, log_file: 'restore.log' } });
      expect(restored.resp, fs.readFileSync(path.join(d, 'img', 'restore.log'), 'utf8')).toMatchObject({ type: ReqType.RESTORE, success: true, restore: { pid } });
      expect(restored.scripts).toEqual(['pre-restore', 'post-restore', 'network-unlock', 'pre-resume', 'post-resume']);
      expect(restored.pids.every((p) => p === pid)).toBe(true);
      expect(await r.close()).toBe(0);
      await sleep(100);
      expect(alive(pid)).toBe(true);
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    } finally {
      fs.closeSync(dirFd);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
    }
  });

  it('restores as a sibling (rst_sibling): the root is the client\'s child, not amber\'s', async () => {
    const d = caseDir('sibling');
    const pid = await startSleeper(d);
    const dirFd = fs.openSync(path.join(d, 'img'), 'r');
    try {
      const c = SwrkClient.start(path.join(d, 'dump.err'));
      expect((await c.call({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid } })).resp?.success).toBe(true);
      await c.close();
      expect(await waitPidsFree([pid], 10_000)).toEqual([]);

      const r = SwrkClient.start(path.join(d, 'restore.err'));
      const restored = await r.call({ type: ReqType.RESTORE, opts: { images_dir_fd: dirFd, rst_sibling: true, log_level: 4, log_file: 'restore.log' } });
      expect(restored.resp, fs.readFileSync(path.join(d, 'img', 'restore.log'), 'utf8')).toMatchObject({ type: ReqType.RESTORE, success: true, restore: { pid } });
      const amberPid = r.child.pid;
      expect(await r.close()).toBe(0);
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])).toBe(process.pid);
      expect(amberPid).not.toBe(process.pid);
      await sleep(50);
      expect(await settledState(pid)).toBe('S');
      // Ours to reap, with its real exit status.
      process.kill(pid, 'SIGTERM');
      expect(await waitExit(pid, 5000)).toEqual({ signal: 15 });
    } finally {
      fs.closeSync(dirFd);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
    }
  });

  it('serves leave_stopped, inherit_fd and status_fd: a sleeper writing to our pipe comes back on a new pipe amber inherited', async () => {
    const d = caseDir('inherit');
    const O_CLOEXEC = 0o2000000;
    const [outR, outW] = native.pipe2(O_CLOEXEC);
    const pidfile = path.join(d, 'sleeper.pid');
    const starter = spawn('setsid', ['-f', 'bash', '-c', `for f in /proc/$$/fd/*; do n=\${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; echo $$ > ${pidfile}; exec sleep 1000`], { stdio: ['ignore', outW, 'ignore'] });
    await new Promise((r) => starter.on('exit', r));
    fs.closeSync(outW);
    let pid = 0;
    for (let i = 0; i < 500 && !pid; i++) {
      const t = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : '';
      if (t && fs.readFileSync(`/proc/${t}/cmdline`, 'utf8').startsWith('sleep')) pid = Number(t);
      else await sleep(10);
    }
    const key = fs.readlinkSync(`/proc/${pid}/fd/1`);
    expect(key).toMatch(/^pipe:\[\d+\]$/);
    const dirFd = fs.openSync(path.join(d, 'img'), 'r');
    const [newR, newW] = native.pipe2(O_CLOEXEC);
    const [stR, stW] = native.pipe2(O_CLOEXEC);
    try {
      const c = SwrkClient.start(path.join(d, 'dump.err'));
      const dumped = await c.call({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid, leave_stopped: true, log_level: 4 } });
      expect(dumped.resp, fs.readFileSync(path.join(d, 'img', 'dump.log'), 'utf8')).toMatchObject({ success: true });
      await c.close();
      expect(await settledState(pid)).toBe('T'); // left stopped, neither killed nor resumed
      process.kill(pid, 'SIGKILL');
      expect(await waitPidsFree([pid], 10_000)).toEqual([]);

      // Without inherit_fd the pipe to us cannot come back.
      const n = SwrkClient.start(path.join(d, 'restore.err'));
      const refused = await n.call({ type: ReqType.RESTORE, opts: { images_dir_fd: dirFd } });
      expect(refused.resp?.success).toBe(false);
      expect(refused.resp?.cr_errmsg).toContain(key);
      await n.close();

      const r = SwrkClient.start(path.join(d, 'restore.err'), [newW, stW]); // amber's fds 4 and 5
      fs.closeSync(stW);
      const restored = await r.call({ type: ReqType.RESTORE, opts: { images_dir_fd: dirFd, inherit_fd: [{ key, fd: 4 }], status_fd: 5, log_level: 4 } });
      expect(restored.resp, fs.readFileSync(path.join(d, 'img', 'restore.log'), 'utf8')).toMatchObject({ success: true, restore: { pid } });
      await r.close();
      const b = Buffer.alloc(4);
      expect(fs.readSync(stR, b, 0, 4, null)).toBe(1); // one \0, then closed
      expect(b[0]).toBe(0);
      expect(fs.readSync(stR, b, 0, 4, null)).toBe(0);
      expect(fs.readlinkSync(`/proc/${pid}/fd/1`)).toBe(fs.readlinkSync(`/proc/self/fd/${newR}`));
      expect(await settledState(pid)).toBe('S');
    } finally {
      for (const fd of [dirFd, outR, newR, newW, stR]) try { fs.closeSync(fd); } catch { /* closed */ }
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
    }
  });

  it('fails the dump when the client answers a notification with notify_success=false, and the tree runs on', async () => {
    const d = caseDir('notify-refused');
    const pid = await startSleeper(d);
    const dirFd = fs.openSync(path.join(d, 'img'), 'r');
    try {
      const c = SwrkClient.start(path.join(d, 'dump.err'));
      const out = await c.call({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid, notify_scripts: true } }, (s) => s === 'post-dump');
      expect(out.resp).toMatchObject({ type: ReqType.DUMP, success: false });
      expect(out.resp?.cr_errmsg).toMatch(/post-dump.*notify_success=false/);
      // The tree was resumed: the network is unlocked for it.
      expect(out.scripts).toEqual(['pre-dump', 'network-lock', 'post-dump', 'network-unlock']);
      await c.close();
      await sleep(50);
      expect(alive(pid)).toBe(true);
      expect(await settledState(pid)).toBe('S');
    } finally {
      fs.closeSync(dirFd);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
    }
  });

  it('a client gone in the middle of a notification fails the dump: the tree runs on and amber exits cleanly', async () => {
    const d = caseDir('client-gone');
    const pid = await startSleeper(d);
    const dirFd = fs.openSync(path.join(d, 'img'), 'r');
    try {
      const c = SwrkClient.start(path.join(d, 'swrk.err'));
      c.send({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid, notify_scripts: true, log_level: 4 } });
      expect((await c.receive())?.notify?.script).toBe('pre-dump');
      c.send({ type: ReqType.NOTIFY, notify_success: true });
      expect((await c.receive())?.notify?.script).toBe('network-lock');
      expect(await c.close()).toBe(0); // hang up instead of answering
      expect(fs.readFileSync(path.join(d, 'img', 'dump.log'), 'utf8')).toMatch(/network-lock: the client closed the connection/);
      await sleep(50);
      expect(await settledState(pid)).toBe('S');
    } finally {
      fs.closeSync(dirFd);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
    }
  });

  it('WAIT_PID after a keep_open RESTORE gives the restored task\'s wait status', async () => {
    const d = caseDir('wait-pid');
    const pid = await startSleeper(d);
    const dirFd = fs.openSync(path.join(d, 'img'), 'r');
    try {
      const c = SwrkClient.start(path.join(d, 'dump.err'));
      expect((await c.call({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid } })).resp?.success).toBe(true);
      await c.close();
      expect(await waitPidsFree([pid], 10_000)).toEqual([]);

      const r = SwrkClient.start(path.join(d, 'restore.err'));
      const restored = await r.call({ type: ReqType.RESTORE, keep_open: true, opts: { images_dir_fd: dirFd } });
      expect(restored.resp).toMatchObject({ success: true, restore: { pid } });
      process.kill(pid, 'SIGUSR1'); // the restored sleep dies of it; amber is its parent
      r.send({ type: ReqType.WAIT_PID, pid, keep_open: true });
      const w = await r.receive();
      expect(w).toMatchObject({ type: ReqType.WAIT_PID, success: true });
      expect(w!.status! & 0x7f).toBe(10);
      r.send({ type: ReqType.WAIT_PID, pid }); // gone now: an error, not a hang
      const again = await r.receive();
      expect(again).toMatchObject({ type: ReqType.WAIT_PID, success: false, cr_errno: 10 });
      expect(await r.close()).toBe(0);
    } finally {
      fs.closeSync(dirFd);
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
    }
  });

  it('answers a failed dump with success=false and the message (no such process)', async () => {
    const c = SwrkClient.start(path.join(root, 'nopid.err'));
    const dirFd = fs.openSync(caseDir('nopid'), 'r');
    c.send({ type: ReqType.DUMP, opts: { images_dir_fd: dirFd, pid: 4_000_000 } });
    const r = await c.receive();
    fs.closeSync(dirFd);
    expect(r).toMatchObject({ type: ReqType.DUMP, success: false, cr_errno: 3 });
    expect(r?.cr_errmsg).toMatch(/no process 4000000/);
    await c.close();
  });
});
