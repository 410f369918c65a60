/**
 * --inherit-fd and --external (CRIU's syntax and meaning), end to end with bin/amber: a helper
 * (sh, then cat) whose stdio are pipes the test holds the other ends of, dumped and restored onto
 * new pipes passed as amber's own fd 0 and 1 (as runc and podman do with a container's stdio); a
 * regular file dumped with --external file[MNTID:INODE] and restored onto another file; and
 * restores that lack the --inherit-fd they need, which must fail naming the key and the fd and
 * leave no process. Needs root and the build (dist/, bin/amber).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { normalizeKey, parseExternal, parseInheritFds } from '../../dist/src/files/external';
import { parseArgs, optionValues } from '../../dist/src/cli/options';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { procState, waitExit, waitPidsFree } from '../../zdtm/runner/reaper';

const isRoot = process.getuid?.() === 0;
const ready = isRoot && fs.existsSync(defaultAmberBin) && fs.existsSync(path.join(__dirname, '../../dist/src/cli/main.js'));
const O_CLOEXEC = 0o2000000, O_NONBLOCK = 0o4000, F_SETFL = 4, O_RDWR = 2, O_NOCTTY = 0o400;
const TIOCSPTLCK = 0x40045431;

/**
 * A new pty pair: [master, slave], both O_NOCTTY (no one's controlling terminal). The slave is
 * opened by its path: TIOCGPTPEER with O_CLOEXEC leaves O_CLOEXEC in the file's own flags, which
 * /proc/PID/fdinfo then shows for every fd on it, close-on-exec or not.
 */
function ptyPair(): [number, number] {
  const m = keep(fs.openSync('/dev/ptmx', O_RDWR | O_NOCTTY | O_CLOEXEC));
  native.ttySet(m, TIOCSPTLCK, Buffer.alloc(4));
  const peer = native.ttyOpenPeer(m, O_RDWR | O_NOCTTY | O_CLOEXEC);
  const name = fs.readlinkSync(`/proc/self/fd/${peer}`);
  fs.closeSync(peer);
  return [m, keep(fs.openSync(name, O_RDWR | O_NOCTTY))];
}

let root: string;
const held: number[] = [];
const keep = (fd: number) => (held.push(fd), fd);
const close = (fd: number) => {
  const i = held.indexOf(fd);
  if (i >= 0) held.splice(i, 1);
  fs.closeSync(fd);
};
const pipe = (): [number, number] => native.pipe2(O_CLOEXEC).map(keep) as [number, number];

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-inherit-fd-'));
  if (ready) becomeSubreaper();
});
afterAll(() => {
  for (const fd of [...held]) try { close(fd); } catch { /* closed */ }
  fs.rmSync(root, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Starts `sh -c script` in a session of its own, out of libuv's reach (setsid -f: its parent
 * exits at once; the test, a subreaper, reaps it), with the given stdio and no other fd (the
 * test worker leaves some open without O_CLOEXEC: a pipe to its parent would be one more pipe
 * whose other end is outside the tree). Returns its PID.
 */
async function startHelper(dir: string, script: string, stdio: (number | 'ignore')[], keepFds: number[] = []): Promise<number> {
  const pidfile = path.join(dir, 'helper.pid');
  const closeOthers = `for f in /proc/$$/fd/*; do n=\${f##*/}; case " ${keepFds.join(' ')} " in *" $n "*) continue;; esac; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null`;
  const child = spawn('setsid', ['-f', 'bash', '-c', `${closeOthers}; echo $$ > ${pidfile}; exec sh -c "$1"`, 'helper', script], { stdio, cwd: dir });
  await new Promise((r) => child.on('exit', r));
  return until('the helper to start', () => {
    const t = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : '';
    return t ? Number(t) : undefined;
  });
}

interface Run { code: number | null; out: string }

/** bin/amber ACTION ..., with these fds as its own 0, 1, 2, 3...; stderr and log kept in the images dir. */
async function amber(dir: string, args: string[], stdio: (number | 'ignore')[] = ['ignore', 'ignore']): Promise<Run> {
  const errFile = path.join(dir, `${args[0]}.err`);
  const err = fs.openSync(errFile, 'w');
  const full: (number | 'ignore')[] = [...stdio];
  while (full.length < 3) full.push('ignore');
  if (full[2] === 'ignore') full[2] = err;
  const child = spawn(process.execPath, [defaultAmberBin, ...args, '-D', path.join(dir, 'img'), '-o', `${args[0]}.log`, '-v4'], { stdio: full, cwd: dir });
  fs.closeSync(err);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let log = '';
  try { log = fs.readFileSync(path.join(dir, 'img', `${args[0]}.log`), 'utf8'); } catch { /* none */ }
  return { code, out: `${fs.readFileSync(errFile, 'utf8')}\n${log}` };
}

function readAvailable(fd: number): string {
  native.fcntl(fd, F_SETFL, O_NONBLOCK);
  const buf = Buffer.alloc(65536);
  try {
    const n = fs.readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n).toString();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return '';
    throw e;
  }
}

async function readUntil(fd: number, want: string): Promise<string> {
  let got = '';
  await until(`"${want}" from the pipe (got "${got}")`, () => {
    got += readAvailable(fd);
    return got.includes(want) ? true : undefined;
  });
  return got;
}

/** A FIFO the helper waits on (one process, no sleep children: the tree is exactly the helper). */
function fifo(dir: string): string {
  const p = path.join(dir, 'go');
  expect(spawnSync('mkfifo', [p]).status).toBe(0);
  return p;
}

/** Lets the helper waiting in an open of the FIFO go on (fails, instead of blocking, if none waits). */
async function release(go: string): Promise<void> {
  const fd = await until('the helper to wait on its FIFO', () => {
    try { return fs.openSync(go, fs.constants.O_WRONLY | O_NONBLOCK); } catch { return undefined; }
  });
  fs.writeSync(fd, 'go\n');
  fs.closeSync(fd);
}

const alive = (pid: number) => { const s = procState(pid); return s !== undefined && s !== 'Z' && s !== 'X'; };

describe('option syntax', () => {
  it('keeps every value of a repeatable option, in order, and the last in opts', () => {
    const a = parseArgs(['restore', '--inherit-fd', 'fd[0]:pipe:[5]', '--inherit-fd=fd[7]:tmp/x', '-D', '/d']);
    expect(optionValues(a, 'inherit-fd')).toEqual(['fd[0]:pipe:[5]', 'fd[7]:tmp/x']);
    expect(a.opts.get('inherit-fd')).toBe('fd[7]:tmp/x');
    expect(a.opts.get('images-dir')).toBe('/d');
    expect(optionValues(a, 'external')).toEqual([]);
    expect(optionValues(parseArgs(['dump', '--external', 'file[1f:a]', '--external', 'tty[8803:1a]']), 'external')).toEqual(['file[1f:a]', 'tty[8803:1a]']);
  });

  it('takes CRIU\'s keys in one spelling', () => {
    expect(normalizeKey('file[0x1F:00a]')).toBe('file[1f:a]');
    expect(normalizeKey('/tmp/log')).toBe('tmp/log');
    expect(normalizeKey('tmp/log')).toBe('tmp/log');
    expect(normalizeKey('pipe:[0123]')).toBe('pipe:[123]');
    expect(normalizeKey('socket:[77]')).toBe('socket:[77]');
    expect(() => normalizeKey('file[12:zz]')).toThrow(/hexadecimal/);
  });

  it('accepts --external file[..] and tty[..], and refuses the other forms as not supported yet', () => {
    expect(parseExternal('file[136:1901704]')).toBe('file[136:1901704]');
    expect(parseExternal('tty[8803:1A]')).toBe('tty[8803:1a]');
    for (const x of ['unix[1234]', 'mnt[/a]:b', 'net[4026531840]:extRootNetNS', 'dev[1:2]:x', 'bogus']) {
      // (dist's errors, as loaded by the module under test, are not the test's own instances)
      expect(() => parseExternal(x)).toThrow(expect.objectContaining({ name: 'UsageError', message: `option --external ${x}: not supported yet` }));
    }
    expect(() => parseExternal('file[12]')).toThrow(/file\[MNTID:INODE\]/);
  });

  it('parses fd[N]:RES and debug[N]:TEXT, and wants fd N open', () => {
    const [r, w] = pipe();
    const got = parseInheritFds([`fd[${r}]:pipe:[42]`, `fd[${w}]:/tmp/a`, `debug[${w}]:hello`]);
    expect(got.fds).toEqual([{ fd: r, key: 'pipe:[42]' }, { fd: w, key: 'tmp/a' }]);
    expect(got.debug).toEqual([{ fd: w, text: 'hello' }]);
    expect(() => parseInheritFds(['fd[999]:pipe:[1]'])).toThrow(/fd 999 is not open/);
    expect(() => parseInheritFds(['pipe:[1]'])).toThrow(/fd\[N\]:RESOURCE/);
    expect(() => parseInheritFds([`fd[${r}]:pipe:[1]`, `fd[${w}]:pipe:[1]`])).toThrow(/already fd/);
  });

  it.skipIf(!ready)('bin/amber exits 1 on an --external form it does not support', () => {
    const r = spawnSync(process.execPath, [defaultAmberBin, 'dump', '-t', String(process.pid), '-D', path.join(root, 'unsupported'), '--external', 'unix[1234]'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('option --external unix[1234]: not supported yet');
  });
});

describe.skipIf(!ready)('inherit-fd end to end', () => {
  it('restores stdio pipes whose other ends were outside the tree onto the caller\'s fd 0 and 1, queued bytes included', async () => {
    const dir = path.join(root, 'stdio');
    fs.mkdirSync(dir);
    const [inR, inW] = pipe();
    const [outR, outW] = pipe();
    const go = fifo(dir);
    const pid = await startHelper(dir, `read go < ${go}; exec cat`, [inR, outW, 'ignore']);
    close(inR); close(outW);
    const inIno = fs.fstatSync(inW).ino, outIno = fs.fstatSync(outR).ino;
    // Queued in the stdin pipe and not read yet at dump: it must reach cat after restore.
    fs.writeSync(inW, 'before dump\n');

    const d = await amber(dir, ['dump', '-t', String(pid)]);
    expect(d.code, d.out).toBe(0);
    expect(d.out).toContain(`pipe:[${inIno}] (task ${pid} fd 0, the reading end): its other end is held outside the dumped tree, by task ${process.pid}`);
    expect(d.out).toContain(`pipe:[${outIno}] (task ${pid} fd 1, the writing end): its other end is held outside the dumped tree, by task ${process.pid}`);
    expect(await waitPidsFree([pid], 10_000)).toEqual([]);
    close(inW); close(outR);

    // Without the pipes: refused before any task exists, naming the key and the fd.
    const bad = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(new RegExp(`task ${pid} fd [01]: pipe:\\[(${inIno}|${outIno})\\]: its other end was outside the dumped tree: restore needs --inherit-fd fd\\[N\\]:pipe:\\[`));
    expect(alive(pid)).toBe(false);

    // An end of the wrong direction is refused too.
    const [xR, xW] = pipe();
    const wrong = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid'), '--inherit-fd', `fd[0]:pipe:[${outIno}]`, '--inherit-fd', `fd[1]:pipe:[${inIno}]`], [xR, xW]);
    expect(wrong.code).toBe(1);
    expect(wrong.out).toMatch(/is open for (reading|writing) only, the dumped file was open for/);
    expect(alive(pid)).toBe(false);
    close(xR); close(xW);

    const [newInR, newInW] = pipe();
    const [newOutR, newOutW] = pipe();
    const r = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid'), '--inherit-fd', `fd[0]:pipe:[${inIno}]`, '--inherit-fd', `fd[1]:pipe:[${outIno}]`], [newInR, newOutW]);
    expect(r.code, r.out).toBe(0);
    close(newInR); close(newOutW);
    expect(Number(fs.readFileSync(path.join(dir, 'r.pid'), 'utf8'))).toBe(pid);
    expect(alive(pid)).toBe(true);

    fs.writeSync(newInW, 'after restore\n');
    await release(go);
    expect(await readUntil(newOutR, 'after restore\n')).toBe('before dump\nafter restore\n');
    close(newInW); // cat sees the end of its input and exits 0
    expect(await waitExit(pid, 10_000)).toEqual({ code: 0 });
    close(newOutR);
  });

  it('needs no --inherit-fd for a one-ended pipe whose other end is closed everywhere', async () => {
    const dir = path.join(root, 'closed-peer');
    fs.mkdirSync(dir);
    const [inR, inW] = pipe();
    const [errR, errW] = pipe();
    const out = path.join(dir, 'out.txt');
    const outFd = fs.openSync(out, 'w');
    const go = fifo(dir);
    const pid = await startHelper(dir, `read go < ${go}; exec cat`, [inR, outFd, errW]);
    fs.closeSync(outFd);
    close(inR); close(errW);
    fs.writeSync(inW, 'queued, writer gone\n');
    close(inW); // stdin: bytes queued, no writer left
    close(errR); // stderr: no reader left
    const d = await amber(dir, ['dump', '-t', String(pid)]);
    expect(d.code, d.out).toBe(0);
    expect(d.out).not.toMatch(/held outside the dumped tree/);
    expect(await waitPidsFree([pid], 10_000)).toEqual([]);
    const r = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid')]);
    expect(r.code, r.out).toBe(0);
    await release(go);
    expect(await waitExit(pid, 10_000)).toEqual({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('queued, writer gone\n');
  });

  it('restores a file dumped with --external file[MNTID:INODE] onto the caller\'s other file, and refuses without it', async () => {
    const dir = path.join(root, 'external-file');
    fs.mkdirSync(dir);
    const a = path.join(dir, 'a.txt'), b = path.join(dir, 'b.txt'), out = path.join(dir, 'out.txt');
    fs.writeFileSync(a, 'the dumped file\n');
    fs.writeFileSync(b, 'the file passed at restore\n');
    const outFd = fs.openSync(out, 'w');
    const go = fifo(dir);
    const pid = await startHelper(dir, `exec 3<${a}; read go < ${go}; exec cat <&3`, ['ignore', outFd, 'ignore']);
    fs.closeSync(outFd);
    await until('fd 3 of the helper', () => (fs.existsSync(`/proc/${pid}/fd/3`) ? true : undefined));
    const mntId = Number(/^mnt_id:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/3`, 'utf8'))![1]);
    const key = `file[${mntId.toString(16)}:${fs.statSync(a).ino.toString(16)}]`;

    const d = await amber(dir, ['dump', '-t', String(pid), '--external', key]);
    expect(d.code, d.out).toBe(0);
    expect(d.out).toContain(`external file ${key}`);
    expect(await waitPidsFree([pid], 10_000)).toEqual([]);
    // The images say what CRIU's would: a reg_file_entry named by the key, marked ext.
    const files = spawnSync('crit', ['decode', '-i', path.join(dir, 'img', 'files.img')], { encoding: 'utf8' });
    if (files.status === 0) {
      const ext = JSON.parse(files.stdout).entries.find((e: any) => e.reg?.name === key);
      expect(ext?.reg.ext).toBe(true);
    }
    fs.rmSync(a); // the dumped file is gone: only the inherited one can stand for it

    const bad = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`task ${pid} fd 3: ${key}: dumped as external (--external ${key}): restore needs --inherit-fd fd[N]:${key}`);
    expect(alive(pid)).toBe(false);

    const bFd = fs.openSync(b, 'r');
    const r = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid'), '--inherit-fd', `fd[5]:${key}`], ['ignore', 'ignore', 'ignore', 'ignore', 'ignore', bFd]);
    fs.closeSync(bFd);
    expect(r.code, r.out).toBe(0);
    expect(fs.readlinkSync(`/proc/${pid}/fd/3`)).toBe(b);
    await release(go);
    expect(await waitExit(pid, 10_000)).toEqual({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('the file passed at restore\n');
  });

  it('restores a regular file onto the caller\'s fd named by its path as dumped (CRIU\'s form, no leading slash)', async () => {
    const dir = path.join(root, 'by-path');
    fs.mkdirSync(dir);
    const a = path.join(dir, 'a.txt'), b = path.join(dir, 'b.txt'), out = path.join(dir, 'out.txt');
    fs.writeFileSync(a, 'old\n');
    fs.writeFileSync(b, 'new\n');
    const outFd = fs.openSync(out, 'w');
    const go = fifo(dir);
    const pid = await startHelper(dir, `exec 3<${a}; read go < ${go}; exec cat <&3`, ['ignore', outFd, 'ignore']);
    fs.closeSync(outFd);
    await until('fd 3 of the helper', () => (fs.existsSync(`/proc/${pid}/fd/3`) ? true : undefined));
    const d = await amber(dir, ['dump', '-t', String(pid)]);
    expect(d.code, d.out).toBe(0);
    expect(await waitPidsFree([pid], 10_000)).toEqual([]);
    const bFd = fs.openSync(b, 'r');
    const r = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid'), '--inherit-fd', `fd[4]:${a.slice(1)}`], ['ignore', 'ignore', 'ignore', 'ignore', bFd]);
    fs.closeSync(bFd);
    expect(r.code, r.out).toBe(0);
    await release(go);
    expect(await waitExit(pid, 10_000)).toEqual({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('new\n');
  });

  it('restores a terminal dumped with --external tty[RDEV:DEV] onto the caller\'s other terminal', async () => {
    const dir = path.join(root, 'external-tty');
    fs.mkdirSync(dir);
    const [m, sl] = ptyPair();
    const st = fs.fstatSync(sl);
    const key = `tty[${st.rdev.toString(16)}:${st.dev.toString(16)}]`;
    const go = fifo(dir);
    // The terminal reaches the helper as fd 5 only: no shell makes it a controlling terminal.
    const pid = await startHelper(dir, `exec 0<&5 1>&5 5>&-; read go < ${go}; echo restored; exec cat`, ['ignore', 'ignore', 'ignore', 'ignore', 'ignore', sl], [5]);
    await until('the helper on the terminal', () => (fs.existsSync(`/proc/${pid}/fd/1`) && fs.readlinkSync(`/proc/${pid}/fd/1`).startsWith('/dev/pts/') && !fs.existsSync(`/proc/${pid}/fd/5`) ? true : undefined));

    const d = await amber(dir, ['dump', '-t', String(pid), '--external', key]);
    expect(d.code, d.out).toBe(0);
    expect(d.out).toContain(`external terminal ${key}`);
    expect(await waitPidsFree([pid], 10_000)).toEqual([]);
    close(sl); close(m);

    const bad = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid')]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(`task ${pid} fd 0: ${key}: an external terminal: restore needs --inherit-fd fd[N]:${key}`);
    expect(alive(pid)).toBe(false);

    const [m2, s2] = ptyPair();
    const r = await amber(dir, ['restore', '-d', '--pidfile', path.join(dir, 'r.pid'), '--inherit-fd', `fd[5]:${key}`], ['ignore', 'ignore', 'ignore', 'ignore', 'ignore', s2]);
    expect(r.code, r.out).toBe(0);
    expect(fs.readlinkSync(`/proc/${pid}/fd/0`)).toBe(fs.readlinkSync(`/proc/self/fd/${s2}`));
    close(s2);
    await release(go);
    await readUntil(m2, 'restored\r\n');
    fs.writeSync(m2, 'typed\n');
    // the terminal echoes the line, then cat writes it back
    expect(await readUntil(m2, 'typed\r\ntyped\r\n')).toContain('typed\r\ntyped\r\n');
    native.kill(pid, 9);
    expect(await waitExit(pid, 10_000)).toEqual({ signal: 9 });
    close(m2);
  });

  it.skipIf(spawnSync('python3', ['-c', '0']).status !== 0)('restores a unix socket whose peer is outside the tree onto the caller\'s socket (socket:[INO]), without reconnecting by name', async () => {
    const dir = path.join(root, 'unix-socket');
    fs.mkdirSync(dir);
    const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_NONBLOCK = 0o4000;
    const name = path.join(dir, 'srv.sock');
    const srv = keep(native.socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | O_CLOEXEC, 0));
    const addr = Buffer.alloc(2 + name.length + 1);
    addr.writeUInt16LE(AF_UNIX, 0);
    addr.write(name, 2);
    native.bind(srv, addr);
    native.listen(srv, 4);
    const out = path.join(dir, 'out.txt');
    const go = fifo(dir);
    const py = `import socket\ns = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\ns.connect(${JSON.stringify(name)})\npair = socket.socketpair()\nopen(${JSON.stringify(go)}).read()\nd = s.recv(100)\nopen(${JSON.stringify(out)}, "w").write(d.decode())\ns.sendall(b"ack:" + d)\n`;
    const pid = await startHelper(dir, `exec python3 -c '${py}'`, ['ignore', 'ignore', 'ignore']);
    const conn = keep(await until('the helper to connect', () => { try { return native.accept4(srv, SOCK_NONBLOCK | O_CLOEXEC); } catch { return undefined; } }));
    // Its connected socket is fd 3 (a socketpair of its own follows: unix sockets are made all
    // at once at restore, and the inherited one must not be among them).
    const sock = await until('the helper\'s sockets', () => (fs.existsSync(`/proc/${pid}/fd/5`) ? fs.readlinkSync(`/proc/${pid}/fd/3`) : undefined));
    const d = await amber(dir, ['dump', '-t', String(pid), '--ext-unix-sk']);
    expect(d.code, d.out).toBe(0);
    expect(await waitPidsFree([pid], 10_000)).toEqual([]);
    close(conn);

    const [mine, theirs] = native.socketpair(AF_UNIX, SOCK_STREAM | O_CLOEXEC, 0).map(keep);
    const r = await amber(dir, ['restore', '-d', '--ext-unix-sk', '--pidfile', path.join(dir, 'r.pid'), '--inherit-fd', `fd[5]:${sock}`], ['ignore', 'ignore', 'ignore', 'ignore', 'ignore', theirs]);
    expect(r.code, r.out).toBe(0);
    close(theirs);
    // The inherited socket stands for the dumped one: nothing connected to the listener again.
    expect(() => native.accept4(srv, SOCK_NONBLOCK | O_CLOEXEC)).toThrow(/EAGAIN/);
    await release(go);
    native.sendmsg(mine, Buffer.from('hello'), null, null, 0);
    expect(await readUntil(mine, 'ack:hello')).toBe('ack:hello');
    expect(await waitExit(pid, 10_000)).toEqual({ code: 0 });
    expect(fs.readFileSync(out, 'utf8')).toBe('hello');
  });
});
