/**
 * A real C client: Debian's libcriu (what crun links), a small program compiled here and linked
 * with -lcriu, with criu_set_service_binary(bin/amber): criu_get_version,
 * criu_check, criu_dump with a notify callback, and criu_restore_child (a restore as sibling:
 * the restored task is the client's child, which reaps it). Skipped when libcriu is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper } from '../../zdtm/runner';
import { reapOnce, waitExit } from '../../zdtm/runner/reaper';
import { amberBin, sleep } from './rpc-client';

const hasLibcriu = fs.existsSync('/usr/lib/x86_64-linux-gnu/libcriu.so');
const ready = process.getuid?.() === 0 && fs.existsSync(path.join(__dirname, '../../dist/src/rpc/swrk.js'));

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-libcriu-'));
  if (ready) becomeSubreaper();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.skipIf(!ready)('libcriu', () => {
  it.skipIf(!hasLibcriu)('gets the version, checks, dumps with notifications and restores as its own child', async () => {
    const exe = path.join(root, 'libcriu_client');
    const cc = spawnSync('cc', ['-O1', '-Wall', '-o', exe, path.join(__dirname, 'libcriu_client.c'), '-lcriu'], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);

    const pidfile = path.join(root, 'sleeper.pid');
    const closeOthers = 'for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null';
    const starter = spawn('setsid', ['-f', 'bash', '-c', `${closeOthers}; echo $$ > ${pidfile}; exec sleep 1000`], { stdio: 'ignore' });
    await new Promise((r) => starter.on('exit', r));
    let pid = 0;
    for (let i = 0; i < 500 && !pid; i++) {
      const t = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : '';
      if (t && fs.readFileSync(`/proc/${t}/cmdline`, 'utf8').startsWith('sleep')) pid = Number(t);
      else await sleep(10);
    }
    const img = path.join(root, 'img');
    fs.mkdirSync(img);
    try {
      const client = spawn(exe, [amberBin, String(pid), img], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      client.stdout.on('data', (b) => (out += b));
      client.stderr.on('data', (b) => (err += b));
      const reaper = setInterval(() => reapOnce(pid), 10); // the dumped task is ours to reap
      const code = await new Promise<number | null>((r) => client.on('exit', (c) => r(c)));
      clearInterval(reaper);
      const logs = ['dump.log', 'restore.log'].map((f) => (fs.existsSync(path.join(img, f)) ? fs.readFileSync(path.join(img, f), 'utf8') : '')).join('\n');
      expect(code, `${out}\n${err}\n${logs}`).toBe(0);
      const r = Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));
      expect(Number(r.version)).toBe(40200); // libcriu's encoding of the CRIU interface amber speaks, 4.2
      expect(r.check).toBe('0');
      expect(r.dump).toBe('0');
      expect(r.dump_actions).toBe('pre-dump,network-lock,post-dump');
      expect(Number(r.dump_notified_pid)).toBe(pid);
      expect(Number(r.restore_child)).toBe(pid);
      expect(r.restore_actions).toBe('pre-restore,post-restore,network-unlock,pre-resume,post-resume');
      expect(r.restored_parent_is_me).toBe('1');
      expect(r.waitpid).toBe('1');
      expect(r.term_signal).toBe('15');
    } finally {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 2000);
    }
  });
});
