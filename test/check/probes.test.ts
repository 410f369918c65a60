/**
 * The machinery of amber check's probes (src/check/sys.ts) and what the probes leave behind:
 * raw syscalls report errno, probe children report each call and stop at the first failure,
 * traced children are really traced, the scratch network namespace is left again, and no probe
 * leaves a mount, a temporary directory or a network device.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { FEATURES, findFeature, runCheck } from '../../src/check/check';
import { native } from '../../src/native';
import { addressOf, breakpointTarget, E, forkStopped, inChild, inScratchNetns, NR, reap, runProbe, sys, withTracedChild, WIFSTOPPED } from '../../src/check/sys';

const root = process.getuid?.() === 0;

describe('raw syscalls', () => {
  it('return the result, or -1 and errno', () => {
    expect(sys(NR.getpid)).toEqual({ ret: process.pid, errno: 0 });
    expect(sys(NR.close, -1)).toEqual({ ret: -1, errno: E.EBADF });
  });
});

describe('probe children', () => {
  it('run their calls in order and report each', () => {
    const run = inChild([[NR.getpid, []], [NR.getpid, []]]);
    expect(run.results.map((r) => r.ret)).toEqual([run.pid, run.pid]);
    expect(run.status).toBe(0);
  });

  it('stop at the first call that fails, with its errno', () => {
    const run = inChild([[NR.getpid, []], [NR.close, [-1]], [NR.getpid, []]]);
    expect(run.results).toEqual([{ ret: run.pid, errno: 0 }, { ret: -1, errno: E.EBADF }]);
  });

  it('make 32-bit syscalls with the pseudo call -1 (or die where there is no IA32 entry)', () => {
    const run = inChild([[-1, []]]);
    if (run.results.length) expect(run.results[0].ret).toBe(run.pid);
    else expect(run.status & 0x7f).not.toBe(0);
  });

  it('stop themselves when asked, untraced', () => {
    const { pid, results } = forkStopped([[NR.getpid, []]]);
    try {
      expect(results[0].ret).toBe(pid);
      const [, st] = native.waitpid(pid, 2 /* WUNTRACED */);
      expect(WIFSTOPPED(st)).toBe(true);
    } finally {
      reap(pid);
    }
  });

  it.skipIf(!root)('wait traced in a signal-delivery stop, and report a failed call instead', () => {
    const regs = withTracedChild([], (pid) => native.ptraceGetRegset(pid, 1, 27 * 8).length);
    expect(regs).toBe(27 * 8);
    expect(withTracedChild([[NR.close, [-1]]], () => 'ran')).toMatch(/failed: EBADF/);
  });
});

describe.skipIf(!root)('the scratch network namespace', () => {
  it('is another namespace while fn runs, and this thread is back home after', () => {
    const home = fs.readlinkSync('/proc/thread-self/ns/net');
    const inside = inScratchNetns(() => fs.readlinkSync('/proc/thread-self/ns/net'));
    expect(inside).not.toBe(home);
    expect(fs.readlinkSync('/proc/thread-self/ns/net')).toBe(home);
  });

  it('is left even when fn throws', () => {
    const home = fs.readlinkSync('/proc/thread-self/ns/net');
    expect(() => inScratchNetns(() => { throw new Error('boom'); })).toThrow('boom');
    expect(fs.readlinkSync('/proc/thread-self/ns/net')).toBe(home);
  });
});

describe.skipIf(!root)('every probe', () => {
  it('answers (undefined or a reason), fast, and leaves nothing behind', () => {
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const links = fs.readdirSync('/sys/class/net').sort();
    const fds = fs.readdirSync('/proc/self/fd').length;
    const tmp = () => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('amber-check-'));
    const before = tmp();
    for (const f of FEATURES) {
      const t0 = Date.now();
      const r = runProbe(f.probe);
      expect(r === undefined || (typeof r === 'string' && r.length > 0), f.name).toBe(true);
      expect(Date.now() - t0, f.name).toBeLessThan(5000);
    }
    expect(fs.readFileSync('/proc/self/mountinfo', 'utf8')).toBe(mounts);
    expect(fs.readdirSync('/sys/class/net').sort()).toEqual(links);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fds);
    expect(tmp()).toEqual(before);
  }, 120_000);
});

/** What the probes rely on tells a kernel with the feature from one without (negative controls). */
describe.skipIf(!root)('the probes\' distinctions', () => {
  it('breakpoints: with DR0 on an address the child never runs, it exits instead of stopping with SIGTRAP', () => {
    const st = withTracedChild([], (pid) => {
      sys(NR.ptrace, 6, pid, 848, breakpointTarget() + 0x100000n);
      sys(NR.ptrace, 6, pid, 848 + 56, 1);
      native.ptraceCont(pid, 0);
      return native.waitpid(pid, 0x40000000)[1];
    });
    expect(st).toBe(0);
  });

  it('timer_cr_ids: without PR_TIMER_CREATE_RESTORE_IDS the timer does not get id 42', () => {
    const sev = Buffer.alloc(64);
    sev.writeInt32LE(1, 12);
    const id = Buffer.alloc(4);
    id.writeInt32LE(42, 0);
    const run = inChild([[NR.timer_create, [1, sev, id]], [NR.timer_getoverrun, [42]]]);
    expect(run.results[1]).toEqual({ ret: -1, errno: E.EINVAL });
  });

  it('clone3_set_tid: a set_tid beyond pid_max fails otherwise than EEXIST', () => {
    const tid = Buffer.alloc(4);
    tid.writeInt32LE(0x7ffffff0, 0);
    const args = Buffer.alloc(80);
    args.writeBigUInt64LE(17n, 32);
    args.writeBigUInt64LE(addressOf(tid), 64);
    args.writeBigUInt64LE(1n, 72);
    const run = inChild([[NR.clone3, [args, 80]]]);
    expect(run.results[0].ret).toBe(-1);
    expect(run.results[0].errno).not.toBe(E.EEXIST);
  });
});

describe('runCheck', () => {
  it('refuses an unknown feature with 1', () => {
    expect(runCheck({ feature: 'no_such_feature' })).toBe(1);
  });

  it('answers amber\'s engine features by what amber has', () => {
    expect(runCheck({ feature: 'threads' })).toBe(0);
    expect(runCheck({ feature: 'lazy-pages' })).toBe(1);
  });

  it('keeps the old names as aliases', () => {
    expect(findFeature('pidfd')?.name).toBe('pidfd_getfd');
    expect(findFeature('rseq')?.name).toBe('get_rseq_conf');
  });
});
