/**
 * A real client: Debian's pycriu (from the criu package, as scripts/setup.sh installs it) with
 * use_binary(bin/amber), which runs `amber swrk FD` as it would run criu: check, a pre-dump
 * amber refuses, a dump of a sleeping process and its restore. Skipped when pycriu is absent.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper } from '../../zdtm/runner';
import { procState, reapOnce, waitExit, waitPidsFree } from '../../zdtm/runner/reaper';
import { amberBin, sleep } from './rpc-client';

const PYTHON = '/usr/bin/python3';
const hasPycriu = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pycriu'], { stdio: 'ignore' }).status === 0;
const ready = process.getuid?.() === 0 && fs.existsSync(path.join(__dirname, '../../dist/src/rpc/swrk.js'));

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-pycriu-'));
  if (ready) becomeSubreaper();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe.skipIf(!ready)('pycriu', () => {
  it.skipIf(!hasPycriu)('checks, dumps and restores through pycriu.criu().use_binary(bin/amber)', async () => {
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
    expect(pid).toBeGreaterThan(0);
    const img = path.join(root, 'img');
    fs.mkdirSync(img);
    try {
      // Asynchronous: the worker must stay free to reap the dumped task.
      const py = spawn(PYTHON, [path.join(__dirname, 'pycriu_client.py'), amberBin, String(pid), img], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '', err = '';
      py.stdout.on('data', (b) => (out += b));
      py.stderr.on('data', (b) => (err += b));
      // The dumped task is killed: reap it (as its subreaper) so that restore gets its PID back.
      const reaper = setInterval(() => reapOnce(pid), 10);
      const code = await new Promise<number | null>((r) => py.on('exit', (c) => r(c)));
      clearInterval(reaper);
      const logs = ['dump.log', 'restore.log'].map((f) => (fs.existsSync(path.join(img, f)) ? fs.readFileSync(path.join(img, f), 'utf8') : '')).join('\n');
      expect(code, `${err}\n${logs}`).toBe(0);
      const r = JSON.parse(out);
      expect(r.check).toBe(true);
      expect(r.pre_dump).toMatch(/^PRE_DUMP failed: Error\(95\)/);
      expect(r.dump_restored).toBe(false);
      expect(r.restore_pid).toBe(pid);
      await sleep(100);
      expect(['S', 'R']).toContain(procState(pid));
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u00001000\u0000');
    } finally {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await waitExit(pid, 5000);
      await waitPidsFree([pid], 5000);
    }
  });
});
