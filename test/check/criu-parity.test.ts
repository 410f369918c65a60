/**
 * amber check against CRIU 4.2's own check on this machine: for every feature name of CRIU's
 * `check --feature` list, amber's exit code must be CRIU's, or DIFFERENCES says why amber's
 * probe answers otherwise and which answer is right (decided by a fact of this kernel the test
 * reads itself). Plain check, --extra, --experimental, --all and an unknown name likewise.
 * Needs root and the reference binary (../shared/reference/criu-4.2/criu or $CRIU_BIN).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FEATURES } from '../../src/check/check';

const ROOT = path.resolve(__dirname, '..', '..');
const AMBER = path.join(ROOT, 'bin', 'amber');
const CRIU = process.env.CRIU_BIN ?? path.resolve(ROOT, '..', 'shared', 'reference', 'criu-4.2', 'criu');

/** CRIU 4.2's feature names (its `check --feature` list). */
const CRIU_FEATURES = [
  'mnt_id', 'mem_dirty_track', 'aio_remap', 'timerfd', 'tun', 'tun_ns', 'userns', 'fdinfo_lock',
  'seccomp_suspend', 'seccomp_filters', 'loginuid', 'cgroupns', 'autofs', 'tcp_half_closed', 'compat_cr',
  'uffd', 'uffd-noncoop', 'can_map_vdso', 'sk_ns', 'sk_unix_file', 'net_diag_raw', 'nsid', 'link_nsid',
  'kcmp_epoll', 'timens', 'external_net_ns', 'clone3_set_tid', 'newifindex', 'nftables', 'has_ipt_legacy',
  'pidfd_store', 'ns_pid', 'apparmor_stacking', 'network_lock_nftables', 'sockopt_buf_lock', 'memfd_hugetlb',
  'move_mount_set_group', 'openat2', 'get_rseq_conf', 'ipv6_freebind', 'pagemap_scan', 'timer_cr_ids',
  'overlayfs_maps', 'breakpoints', 'pagemap_scan_guard_pages',
];

/** The kernel's build configuration, when it publishes it. */
function kernelConfig(): string | undefined {
  try {
    return zlib.gunzipSync(fs.readFileSync('/proc/config.gz')).toString();
  } catch {
    return undefined;
  }
}

interface Difference {
  /** amber's exit code where it differs from CRIU's, and the fact that decides who is right. */
  amber(criu: number): number | undefined;
  why: string;
}

/**
 * Where amber's probe and CRIU's disagree. net_diag_raw: CRIU answers 0 even when the kernel has no
 * raw_diag handler (its check does not look at the error the raw-socket dump ends with, ENOENT);
 * amber dumps raw sockets and looks for one it made. The kernel's own config settles it: without
 * CONFIG_INET_RAW_DIAG, sock_diag cannot list raw sockets, and 1 is the right answer.
 */
const DIFFERENCES: Record<string, Difference> = {
  net_diag_raw: {
    amber: (criu) => {
      const cfg = kernelConfig();
      if (cfg) return /^# CONFIG_INET_RAW_DIAG is not set$/m.test(cfg) ? 1 : criu;
      // No config published: the kernel's symbols say whether a raw_diag handler is there.
      const syms = fs.readFileSync('/proc/kallsyms', 'utf8');
      if (/\braw_diag_dump\b/.test(syms)) return criu;
      // Or a module sock_diag would load on demand.
      const modules = `/lib/modules/${os.release()}/kernel/net/ipv4`;
      return fs.existsSync(modules) && fs.readdirSync(modules).some((n) => n.startsWith('raw_diag.ko')) ? criu : 1;
    },
    why: 'CRIU 4.2 says supported without CONFIG_INET_RAW_DIAG; sock_diag then ends a raw dump with ENOENT',
  },
};

function exitCode(bin: string, args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

const runnable = process.getuid?.() === 0 && fs.existsSync(CRIU) && fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))
  && exitCode(CRIU, ['--version']).code === 0;

describe('amber check names every CRIU 4.2 feature', () => {
  it('has a probe for each of CRIU\'s names, marked as CRIU\'s', () => {
    const ours = FEATURES.filter((f) => f.criu).map((f) => f.name).sort();
    expect(ours).toEqual([...CRIU_FEATURES].sort());
  });

  it('documents every feature in docs/check.md, one table row each', () => {
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'check.md'), 'utf8');
    for (const f of FEATURES) expect(doc, f.name).toMatch(new RegExp(`^\\| ${f.name.replace(/[-]/g, '\\-')}( \\(| \\|)`, 'm'));
  });
});

describe.skipIf(!runnable)('amber check answers as CRIU 4.2 does here', () => {
  it('gives CRIU\'s exit code for every feature, or a documented, checked difference', () => {
    const rows: string[] = [];
    for (const name of CRIU_FEATURES) {
      const criu = exitCode(CRIU, ['check', '--no-default-config', '--feature', name]).code;
      const amber = exitCode(AMBER, ['check', '--feature', name]);
      const diff = DIFFERENCES[name];
      const want = diff ? diff.amber(criu) ?? criu : criu;
      rows.push(`${name}: criu ${criu} amber ${amber.code}${want !== criu ? ` (differs: ${diff!.why})` : ''}`);
      expect({ name, code: amber.code }, `${name}: ${amber.err.trim()}`).toEqual({ name, code: want });
      if (amber.code === 0) expect(amber.out).toContain(`${name} is supported`);
      else expect(amber.err.trim().length).toBeGreaterThan(0);
    }
    console.log(rows.join('\n'));
  }, 300_000);

  it.each([[[]], [['--extra']], [['--experimental']], [['--all']]])('check %j exits as CRIU\'s', (flags) => {
    const criu = exitCode(CRIU, ['check', '--no-default-config', ...flags]);
    const amber = exitCode(AMBER, ['check', ...flags]);
    expect(amber.code).toBe(criu.code);
    if (criu.out.includes('Looks good but some kernel features are missing')) expect(amber.out).toContain('Looks good but some kernel features are missing');
    else if (criu.code === 0) expect(amber.out.trim()).toBe('Looks good.');
  }, 120_000);

  it('refuses an unknown feature as CRIU does', () => {
    const criu = exitCode(CRIU, ['check', '--no-default-config', '--feature', 'no_such_feature']);
    const amber = exitCode(AMBER, ['check', '--feature', 'no_such_feature']);
    expect(amber.code).toBe(criu.code);
    expect(criu.err).toContain('Unknown feature no_such_feature');
    expect(amber.err).toContain('Unknown feature no_such_feature');
  });
});
