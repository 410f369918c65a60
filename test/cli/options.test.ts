import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpText, optionValues, parseArgs } from '../../src/cli/options';
import { OPTIONS } from '../../src/cli/option-table';
import { configArgs } from '../../src/cli/config-file';
import { UsageError } from '../../src/errors';

const noConfig = { configFiles: false } as const;

describe('CRIU-style options', () => {
  it('parses short, long, glued and = forms', () => {
    const a = parseArgs(['dump', '-t', '42', '--images-dir=/x', '-v4', '-R', '-o', 'd.log'], noConfig);
    expect(a.command).toBe('dump');
    expect(a.opts.get('tree')).toBe('42');
    expect(a.opts.get('images-dir')).toBe('/x');
    expect(a.opts.get('verbosity')).toBe('4');
    expect(a.opts.get('leave-running')).toBe(true);
    expect(a.opts.get('log-file')).toBe('d.log');
    expect(parseArgs(['dump', '-D/x', '--tree', '7'], noConfig).opts.get('images-dir')).toBe('/x');
  });
  it('counts -v as CRIU does: one more than the default 2 per v', () => {
    expect(parseArgs(['check', '-v'], noConfig).opts.get('verbosity')).toBe('3');
    expect(parseArgs(['check', '-vv'], noConfig).opts.get('verbosity')).toBe('4');
    expect(parseArgs(['check', '-v', '-v'], noConfig).opts.get('verbosity')).toBe('4');
    expect(parseArgs(['check', '--verbosity=1'], noConfig).opts.get('verbosity')).toBe('1');
    expect(parseArgs(['check', '--verbosity'], noConfig).opts.get('verbosity')).toBe('3');
  });
  it('bundles short flags and negates long ones with --no-', () => {
    const a = parseArgs(['dump', '-Rjl', '--tcp-established', '--no-tcp-established'], noConfig);
    expect(a.opts.get('leave-running')).toBe(true);
    expect(a.opts.get('shell-job')).toBe(true);
    expect(a.opts.get('file-locks')).toBe(true);
    expect(a.opts.has('tcp-established')).toBe(false);
    expect(() => parseArgs(['dump', '--no-tree'], noConfig)).toThrow(/unknown option --no-tree/);
  });
  it('keeps repeatable values in order and what follows --', () => {
    const a = parseArgs(['restore', '--inherit-fd', 'fd[3]:pipe:[1]', '--inherit-fd=fd[4]:x', '--', 'sh', '-c', 'x'], noConfig);
    expect(optionValues(a, 'inherit-fd')).toEqual(['fd[3]:pipe:[1]', 'fd[4]:x']);
    expect(a.afterDashes).toEqual(['sh', '-c', 'x']);
  });
  it('takes optional values only with =', () => {
    expect(parseArgs(['dump', '--cpu-cap', '-t', '1'], noConfig).opts.get('cpu-cap')).toBe(true);
    expect(parseArgs(['dump', '--cpu-cap=none'], noConfig).opts.get('cpu-cap')).toBe('none');
    expect(parseArgs(['dump', '--manage-cgroups=ignore'], noConfig).opts.get('manage-cgroups')).toBe('ignore');
  });
  it('fails an option for a missing feature by name, never as unknown, but takes its negation', () => {
    expect(() => parseArgs(['restore', '--lazy-pages'], noConfig)).toThrow(/option --lazy-pages: not supported yet/);
    expect(() => parseArgs(['dump', '--manage-cgroups=full'], noConfig)).toThrow(/--manage-cgroups=full: not supported yet/);
    expect(() => parseArgs(['pre-dump', '-t', '1'], noConfig)).toThrow(/command pre-dump: not supported yet/);
    expect(parseArgs(['restore', '--lazy-pages', '--no-lazy-pages'], noConfig).opts.has('lazy-pages')).toBe(false);
  });
  it('rejects unknown options and missing values', () => {
    expect(() => parseArgs(['dump', '--bogus'], noConfig)).toThrow(UsageError);
    expect(() => parseArgs(['dump', '-t'], noConfig)).toThrow(/needs PID/);
    expect(() => parseArgs(['dump', '--leave-running=1'], noConfig)).toThrow(/takes no value/);
  });
  it('has every option CRIU 4.2 documents', () => {
    const criu = ['tree', 'restore-detached', 'restore-sibling', 'leave-stopped', 'leave-running', 'images-dir', 'pidfile', 'work-dir', 'cpu-cap', 'exec-cmd',
      'freeze-cgroup', 'weak-sysctls', 'lazy-pages', 'stream', 'mntns-compat-mode', 'network-lock', 'unprivileged', 'allow-uprobes', 'external', 'tcp-established',
      'skip-in-flight', 'tcp-close', 'root', 'evasive-devices', 'link-remap', 'ghost-limit', 'ghost-fiemap', 'action-script', 'shell-job', 'file-locks', 'libdir',
      'timeout', 'force-irmap', 'irmap-scan-path', 'manage-cgroups', 'cgroup-root', 'cgroup-props', 'cgroup-props-file', 'cgroup-dump-controller', 'cgroup-yard',
      'lsm-profile', 'lsm-mount-context', 'skip-mnt', 'enable-fs', 'inherit-fd', 'empty-ns', 'join-ns', 'file-validation', 'skip-file-rwx-check', 'extra',
      'experimental', 'all', 'feature', 'log-file', 'log-pid', 'verbosity', 'display-stats', 'track-mem', 'prev-images-dir', 'page-server', 'auto-dedup',
      'pre-dump-mode', 'address', 'port', 'ps-socket', 'daemon', 'status-fd', 'tls-cacert', 'tls-cacrl', 'tls-cert', 'tls-key', 'tls', 'tls-no-cn-verify',
      'config', 'no-default-config', 'help', 'version', 'ext-mount-map', 'veth-pair', 'orphan-pts-master', 'ext-unix-sk', 'enable-external-sharing', 'enable-external-masters'];
    const longs = new Set(OPTIONS.map((o) => o.long));
    expect(criu.filter((o) => !longs.has(o))).toEqual([]);
    const h = helpText('0');
    for (const o of criu) expect(h).toContain(`--${o}`);
  });
});

describe('CRIU config files', () => {
  it('reads one option per line, values quoted or not, comments', () => {
    expect(configArgs('# a comment\ntcp-established\n  log-file "/tmp/a b.log"  # trailing\n\nghost-limit 4M\n', 'f')).toEqual(['--tcp-established', '--log-file=/tmp/a b.log', '--ghost-limit=4M']);
    expect(() => configArgs('log-file "x', 'f')).toThrow(/unterminated quote/);
  });
  it('applies the default files, CRIU_CONFIG_FILE and --config, the command line last', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-cfg-'));
    fs.mkdirSync(path.join(home, '.criu'));
    fs.writeFileSync(path.join(home, '.criu', 'default.conf'), 'tcp-established\nghost-limit 2M\n');
    const extra = path.join(home, 'extra.conf');
    fs.writeFileSync(extra, 'file-locks\n');
    const env = { HOME: home, CRIU_CONFIG_FILE: extra };
    const a = parseArgs(['dump', '--ghost-limit', '3M'], { env });
    expect(a.opts.get('tcp-established')).toBe(true);
    expect(a.opts.get('file-locks')).toBe(true);
    expect(a.opts.get('ghost-limit')).toBe('3M');
    const b = parseArgs(['dump', '--no-default-config'], { env });
    expect(b.opts.has('tcp-established')).toBe(false);
    expect(b.opts.get('file-locks')).toBe(true);
    const only = path.join(home, 'only.conf');
    fs.writeFileSync(only, 'shell-job\nno-file-locks\n');
    const c = parseArgs(['dump', '--config', only], { env: { HOME: home } });
    expect(c.opts.get('shell-job')).toBe(true);
    expect(c.opts.has('tcp-established')).toBe(false);
    expect(() => parseArgs(['dump', '--config', path.join(home, 'missing.conf')], { env })).toThrow(/cannot read config file/);
    fs.writeFileSync(only, 'lazy-pages\n');
    expect(() => parseArgs(['restore', '--config', only], { env: { HOME: home } })).toThrow(/--lazy-pages: not supported yet/);
    fs.rmSync(home, { recursive: true });
  });
});

describe('docs/options.md', () => {
  it('is what the option table gives', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('node', [path.join(__dirname, '../../scripts/gen-options-doc.js'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
