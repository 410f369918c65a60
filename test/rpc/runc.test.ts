/**
 * A real container engine: Debian's runc checkpoints a busybox container with `--criu
 * bin/amber`, so it talks to amber over swrk exactly as it talks to CRIU (VERSION first: runc
 * refuses a CRIU older than it needs, then DUMP with the options a container needs). amber
 * carries no namespaces, cgroups or mounts yet, so the answer must be a clean refusal: runc
 * reports the failure, the container is still running, and the log runc points to says why.
 * Skipped where runc or busybox is missing (scripts/setup.sh installs both).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultAmberBin } from '../../zdtm/runner';

const which = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();
const runcBin = which('runc'), busybox = which('busybox');
const ready = process.getuid?.() === 0 && !!runcBin && !!busybox && fs.existsSync(defaultAmberBin);
const id = `amber-test-${process.pid}`;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-runc-'));
const runc = (args: string[]) => spawnSync(runcBin, args, { cwd: root, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });

afterAll(() => {
  if (ready) {
    runc(['kill', id, 'KILL']);
    for (let i = 0; i < 50 && runc(['state', id]).status === 0 && !/"stopped"/.test(runc(['state', id]).stdout); i++) spawnSync('sleep', ['0.1']);
    runc(['delete', '--force', id]);
  }
  fs.rmSync(root, { recursive: true, force: true });
});

describe.skipIf(!ready)('runc --criu bin/amber', () => {
  it('checkpoint of a busybox container: a clean refusal that names why, the container runs on', () => {
    const bin = path.join(root, 'rootfs', 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.copyFileSync(busybox, path.join(bin, 'busybox'));
    fs.chmodSync(path.join(bin, 'busybox'), 0o755);
    for (const applet of ['sh', 'sleep']) fs.symlinkSync('busybox', path.join(bin, applet));
    expect(runc(['spec']).status).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(root, 'config.json'), 'utf8'));
    config.process.terminal = false;
    config.process.args = ['sleep', '1000'];
    fs.writeFileSync(path.join(root, 'config.json'), JSON.stringify(config));
    // The container's stdio is runc's: a file, not a pipe this test would wait on forever.
    const out = fs.openSync(path.join(root, 'container.out'), 'w');
    const run = spawnSync(runcBin, ['run', '-d', id], { cwd: root, timeout: 60_000, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    expect(run.status, fs.readFileSync(path.join(root, 'container.out'), 'utf8')).toBe(0);

    const work = path.join(root, 'work');
    const ck = runc(['--criu', defaultAmberBin, 'checkpoint', '--image-path', path.join(root, 'img'), '--work-path', work, id]);
    expect(ck.status).not.toBe(0);
    // Not a version refusal: runc got as far as the dump.
    expect(ck.stderr).not.toMatch(/version/i);
    expect(ck.stderr).toMatch(/criu failed: type DUMP/);
    const log = fs.readFileSync(path.join(work, 'dump.log'), 'utf8');
    expect(log).toMatch(/amber cannot serve .*(mount namespace|namespaces|cgroups)/);
    expect(JSON.parse(runc(['state', id]).stdout).status).toBe('running');
  });
});
