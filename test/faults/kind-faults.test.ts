/**
 * A fault at the dump and at the open of every fd kind of the registry (src/files/registry.ts),
 * enumerated from it: adding a kind without a victim here fails this test. A dump failing in
 * one kind's code leaves the tree running unchanged; a restore failing in one kind's open leaves
 * nothing behind, and the images then restore and the victim's own checks pass.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_KINDS } from '../../src/files/registry';
import { kindFaultPoint } from '../../src/fault';
import { becomeSubreaper, defaultAmberBin, loadTests } from '../../zdtm/runner';
import * as amber from '../../zdtm/runner/amber';
import { startTest, stopTest, testFiles } from '../../zdtm/runner/program';
import { waitPidsFree } from '../../zdtm/runner/reaper';
import { treePids, withFault, removeWorkDir } from './fault-helpers';

/** A zdtm test holding an fd of each kind. */
const VICTIMS: Record<string, string> = {
  pty: 'pty_master_child', memfd: 'memfd_held', 'regular file': 'file_offsets', pipe: 'pipe_held', FIFO: 'fifo_named',
  eventfd: 'eventfd_counter', signalfd: 'signalfd_held', timerfd: 'timerfd_held', epoll: 'epoll_interest', inotify: 'inotify_held',
  fanotify: 'fanotify_marks', pidfd: 'pidfd_live', 'unix socket': 'unix_stream_pair', 'inet socket': 'tcp_listen_v4',
  'netlink socket': 'netlink_route_bound', 'packet socket': 'packet_raw_lo',
};
/** Kinds only a caller's terminal carries (--shell-job): tested in test/files/shell-job.test.ts. */
const WITHOUT_VICTIM: Record<string, string> = { terminal: 'needs the restorer on a terminal (--shell-job)' };

const isRoot = process.getuid?.() === 0;
const tests = loadTests();
const ready = isRoot && fs.existsSync(defaultAmberBin);
const root = fs.mkdtempSync('/tmp/amber-kind-faults-');
afterAll(() => removeWorkDir(root));



describe('every fd kind has a fault victim', () => {
  it('names a zdtm test for each kind of the registry', () => {
    for (const k of FILE_KINDS) {
      expect(VICTIMS[k.name] ?? WITHOUT_VICTIM[k.name], `fd kind '${k.name}' has no fault victim`).toBeDefined();
      if (VICTIMS[k.name]) expect(tests.some((t) => t.name === VICTIMS[k.name]), VICTIMS[k.name]).toBe(true);
    }
  });
});

describe.skipIf(!ready)('a fault in each fd kind', () => {
  beforeAll(() => {
    becomeSubreaper();
  });

  for (const kind of FILE_KINDS.filter((k) => VICTIMS[k.name])) {
    const victim = tests.find((t) => t.name === VICTIMS[kind.name])!;
    it(`${kind.name} (${victim.name}): a failed dump leaves the tree as it was, a failed restore leaves nothing`, async () => {
      const dir = path.join(root, kind.name.replace(/\W+/g, '-'));
      fs.mkdirSync(dir, { recursive: true });
      const files = testFiles(dir, victim.name);
      const pid = await startTest(victim, files, 10_000);
      const pids = treePids(pid);
      const call = { bin: defaultAmberBin, dir: path.join(dir, 'img'), timeoutMs: 30_000 };
      const dumpPoint = kindFaultPoint('dump', kind.name);
      const failed = await withFault(dumpPoint, () => amber.dump(call, pid, { leaveRunning: false, extra: victim.dumpOpts }));
      expect(failed.code).toBe(1);
      expect(fs.readFileSync(failed.output, 'utf8')).toContain(`fault injected at ${dumpPoint}`);
      expect(treePids(pid)).toEqual(pids);
      for (const p of pids) expect(/^TracerPid:\s*0$/m.test(fs.readFileSync(`/proc/${p}/status`, 'utf8'))).toBe(true);

      expect((await amber.dump(call, pid, { leaveRunning: false, extra: victim.dumpOpts })).code).toBe(0);
      expect(await waitPidsFree(pids, 5_000)).toEqual([]);
      const restorePoint = kindFaultPoint('restore', kind.name);
      const r = await withFault(restorePoint, () => amber.restore(call, path.join(dir, 'restored.pid'), victim.restoreOpts));
      expect(r.code).toBe(1);
      expect(fs.readFileSync(r.output, 'utf8')).toContain(`fault injected at ${restorePoint}`);
      expect(await waitPidsFree(pids, 5_000)).toEqual([]);
      expect((await amber.restore(call, path.join(dir, 'restored.pid'), victim.restoreOpts)).code).toBe(0);
      await stopTest(pid, files, 10_000);
    });
  }
});
