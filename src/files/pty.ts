/**
 * Pseudo-terminal pairs whose master is in the tree (a terminal emulator, `script`, an ssh-like
 * server, a program driving a REPL). In CRIU's layout each open fd of either side is a
 * tty_file_entry (files.img, type TTY) naming a tty_info_entry (tty-info.img): one for the
 * master (rdev 5:2) and one for the slave (rdev 136+:N), tied by pty.index. The slave's entry
 * carries the pair's state: termios, locked termios, window size, the session it is the
 * controlling terminal of and its foreground group. Bytes queued for a reader are in
 * tty-data.img (amber's use of tty_data_entry: tty_id is the info of the side that reads them).
 *
 * Dump reads everything through a duplicate of a master fd: on a master, the mode ioctls
 * (termios, window size) address the slave. Queued bytes are taken out (a pty has no peek) and
 * put back into the live tree when it runs on; they are put in with TIOCSTI, which feeds the
 * line discipline directly and at once, under a termios that does no echo, signals, mapping
 * or editing, so the queue ends as it was, line boundaries included.
 *
 * Restore opens /dev/ptmx until it gets the dumped index (devpts hands out the lowest free
 * one), and sets the state before any task holds the pair. A session whose controlling
 * terminal it is gets it back in its leader before the leader forks (see restoreCtty).
 */
import type { FileStat } from '../proc/fd-table-read';
import * as fs from 'node:fs';
import { native } from '../native';
import { AmberError, ImageError, SysError, UnsupportedError } from '../errors';
import { Entry, readImageOptional, TTY_DATA_IMG, TTY_INFO_IMG } from '../images';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';
import type { Injected } from '../task/injected';
import { putString, takeRestorerFd } from '../task/injected';
import { SYS } from '../arch/x86_64/syscalls';
import { mutated } from '../mutant';
import { devParts, makeDev } from '../proc/devices';
import { parseStat, ProcStat } from '../proc/stat';
import { terminal } from './tty';
import { openFdsOf } from './fd-table';

const TCGETS2 = 0x802c542a, TCSETS2 = 0x402c542b, TIOCGLCKTRMIOS = 0x5456, TIOCSLCKTRMIOS = 0x5457;
const TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, TIOCSTI = 0x5412, TIOCSPTLCK = 0x40045431;
const TIOCPKT = 0x5420, TIOCEXCL = 0x540c, TIOCGPTN = 0x80045430, TIOCGPKT = 0x80045438;
const TIOCGPTLCK = 0x80045439, TIOCGEXCL = 0x80045440, TIOCGSID = 0x5429, TIOCGPGRP = 0x540f;
const TIOCSCTTY = 0x540e, TIOCSPGRP = 0x5410;
const O_RDWR = 2, O_NOCTTY = 0o400, O_NONBLOCK = 0o4000, O_ASYNC = 0o20000, O_CLOEXEC = 0o2000000;
const F_GETFL = 3, F_SETFL = 4;
const ENOTTY = 25;
const PTMX_MAJOR = 5, PTMX_MINOR = 2, PTS_MAJOR = 136, PTS_MAJORS = 8;
/** Unix98 slaves are numbered over majors 136-143, 256 minors each. */
const ptsIndex = (major: number, minor: number) => (major - PTS_MAJOR) * 256 + minor;

/** The pty index of a device number, when it is a Unix98 pty slave. */
function ptsIndexOfDev(dev: number | bigint): number | undefined {
  const { major, minor } = devParts(dev);
  return major >= PTS_MAJOR && major < PTS_MAJOR + PTS_MAJORS ? ptsIndex(major, minor) : undefined;
}

export function isPtyMaster(st: FileStat): boolean {
  if (!st.isCharacterDevice()) return false;
  const { major, minor } = devParts(st.rdev);
  return major === PTMX_MAJOR && minor === PTMX_MINOR;
}

/** /dev/tty (5:0): whatever the opening task's controlling terminal is. */
export function isDevTty(st: FileStat): boolean {
  if (!st.isCharacterDevice()) return false;
  const { major, minor } = devParts(st.rdev);
  return major === PTMX_MAJOR && minor === 0;
}

/** The pty index of a task's controlling terminal, if it is a pty slave. */
function cttyIndex(pid: number): number | undefined {
  const { ttyNr } = readStat(pid);
  return ttyNr ? ptsIndexOfDev(ttyNr) : undefined;
}

export function ptySlaveIndex(st: FileStat): number | undefined {
  return st.isCharacterDevice() ? ptsIndexOfDev(st.rdev) : undefined;
}

// ---- termios: struct termios2 (c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19], c_ispeed, c_ospeed)

const NCCS = 19;
const VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VSTART = 8, VSTOP = 9, VSUSP = 10;
const VREPRINT = 12, VDISCARD = 13, VWERASE = 14, VLNEXT = 15;
const ICANON = 0o2, ISIG = 0o1, ECHO = 0o10, ECHOE = 0o20, ECHOK = 0o40, ECHONL = 0o100, ECHOCTL = 0o1000, ECHOPRT = 0o2000, ECHOKE = 0o4000, EXTPROC = 0o200000;
const IGNBRK = 0o1, BRKINT = 0o2, PARMRK = 0o10, INPCK = 0o20, ISTRIP = 0o40, INLCR = 0o100, IGNCR = 0o200, ICRNL = 0o400, IUCLC = 0o1000, IXON = 0o2000, IXOFF = 0o10000, IMAXBEL = 0o20000;

interface Termios {
  c_iflag: number; c_oflag: number; c_cflag: number; c_lflag: number; c_line: number;
  c_ispeed: number; c_ospeed: number; c_cc: number[];
}

function decodeTermios2(b: Buffer): Termios {
  return {
    c_iflag: b.readUInt32LE(0), c_oflag: b.readUInt32LE(4), c_cflag: b.readUInt32LE(8), c_lflag: b.readUInt32LE(12),
    c_line: b[16], c_cc: [...b.subarray(17, 17 + NCCS)], c_ispeed: b.readUInt32LE(36), c_ospeed: b.readUInt32LE(40),
  };
}

function encodeTermios2(t: Termios): Buffer {
  const b = Buffer.alloc(44);
  b.writeUInt32LE(t.c_iflag, 0); b.writeUInt32LE(t.c_oflag, 4); b.writeUInt32LE(t.c_cflag, 8); b.writeUInt32LE(t.c_lflag, 12);
  b[16] = t.c_line;
  for (let i = 0; i < NCCS; i++) b[17 + i] = t.c_cc[i] ?? 0;
  b.writeUInt32LE(t.c_ispeed, 36); b.writeUInt32LE(t.c_ospeed, 40);
  return b;
}

/** struct termios (no speeds): the locked-termios mask. */
function decodeTermios1(b: Buffer): Termios {
  return { c_iflag: b.readUInt32LE(0), c_oflag: b.readUInt32LE(4), c_cflag: b.readUInt32LE(8), c_lflag: b.readUInt32LE(12), c_line: b[16], c_cc: [...b.subarray(17, 17 + NCCS)], c_ispeed: 0, c_ospeed: 0 };
}

function encodeTermios1(t: Termios): Buffer {
  return encodeTermios2(t).subarray(0, 36);
}

function termiosFromEntry(e: Entry | undefined, file: string, id: number): Termios | undefined {
  if (!e) return undefined;
  const cc = (e.c_cc ?? []) as number[];
  if (cc.length !== NCCS || cc.some((c) => c > 255)) throw new ImageError(file, id, `termios has ${cc.length} control characters (${NCCS} expected)`);
  return { c_iflag: e.c_iflag, c_oflag: e.c_oflag, c_cflag: e.c_cflag, c_lflag: e.c_lflag, c_line: e.c_line, c_ispeed: e.c_ispeed, c_ospeed: e.c_ospeed, c_cc: cc };
}

/**
 * The termios under which queued bytes are fed back: the line discipline stores them as they
 * are (no echo, no signals, no input mapping, no editing characters) and, in canonical mode,
 * still ends a line at '\n', VEOL and VEOL2 as the dumped queue did.
 */
function feedingTermios(t: Termios): Termios {
  const cc = [...t.c_cc];
  for (const i of [VINTR, VQUIT, VERASE, VKILL, VEOF, VSTART, VSTOP, VSUSP, VREPRINT, VDISCARD, VWERASE, VLNEXT]) cc[i] = 0;
  return {
    ...t,
    c_iflag: t.c_iflag & ~(IGNBRK | BRKINT | PARMRK | INPCK | ISTRIP | INLCR | IGNCR | ICRNL | IUCLC | IXON | IXOFF | IMAXBEL),
    c_lflag: t.c_lflag & ~(ISIG | ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOPRT | ECHOKE | EXTPROC),
    c_cc: cc,
  };
}

/** Puts bytes into the read queue of the tty behind fd, one TIOCSTI each. */
function feed(fd: number, data: Buffer): void {
  for (let i = 0; i < data.length; i++) native.ttySet(fd, TIOCSTI, data.subarray(i, i + 1));
}

/** Reads what the tty behind fd has queued for its reader (fd must be non-blocking). */
function drain(fd: number): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    let n: number;
    try {
      n = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // EIO: the master of a pair whose slave is closed, with nothing left to read.
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EIO') break;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

// ---- dump

interface MasterRef { pid: number; fd: number }

interface PairDump {
  index: number;
  masterInfoId: number;
  slaveInfoId: number;
}

interface PtyDumpState {
  /** A master fd of the tree for each pty index. */
  masters: Map<number, MasterRef>;
  pairs: Map<number, PairDump>;
  nextInfoId: number;
}

function masterIndexOf(pid: number, fd: number): number | undefined {
  try {
    const m = /^tty-index:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Every pty master fd the tree holds, by index (read once per dump). */
function dumpState(ctx: FileDumpContext): PtyDumpState {
  let s = ctx.cache.get('pty') as PtyDumpState | undefined;
  if (s) return s;
  s = { masters: new Map(), pairs: new Map(), nextInfoId: 1 };
  for (const pid of ctx.treePids) {
    let fds: OpenFd[];
    // A table that cannot be read fails later, where the fd table is dumped, naming the fd.
    try { fds = openFdsOf(pid, ctx); } catch { continue; }
    for (const f of fds) {
      if (!isPtyMaster(f.stat)) continue;
      const index = masterIndexOf(pid, f.fd);
      if (index !== undefined && !s.masters.has(index)) s.masters.set(index, { pid, fd: f.fd });
    }
  }
  ctx.cache.set('pty', s);
  const state = s;
  ctx.onFinish(() => checkControllingTerminals(state, ctx));
  return s;
}

function readStat(pid: number): ProcStat {
  return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * A task whose controlling terminal amber cannot give back is refused: one of a session led in
 * the tree must be a pty of the tree; one of a session outside (a shell job) is the caller's.
 */
function checkControllingTerminals(s: PtyDumpState, ctx: FileDumpContext): void {
  const tree = new Set(ctx.treePids);
  for (const pid of ctx.treePids) {
    const { session: sid, ttyNr } = readStat(pid);
    if (ttyNr === 0) continue;
    const { major, minor } = devParts(ttyNr);
    const index = ptsIndexOfDev(ttyNr);
    if (index !== undefined && s.masters.has(index)) {
      // The pair is dumped even when no fd of the tree names its slave.
      dumpPair(index, s, ctx);
      continue;
    }
    if (!tree.has(sid)) {
      if (ctx.shellJob) continue;
      throw new UnsupportedError(pid, 'task', `its controlling terminal (device ${major}:${minor}) belongs to session ${sid} outside the tree: dump it as a shell job (--shell-job)`);
    }
    throw new UnsupportedError(pid, 'task', `its controlling terminal (device ${major}:${minor}) is not a pty whose master the tree holds, so restore could not give it back`);
  }
}

function ioctlIntOr(fd: number, request: number, otherwise: number, ...errnos: number[]): number {
  try {
    return native.ioctlInt(fd, request);
  } catch (e) {
    if (e instanceof SysError && errnos.includes(e.errno)) return otherwise;
    throw e;
  }
}

function termiosEntry(t: Termios): Entry {
  return { c_iflag: t.c_iflag, c_oflag: t.c_oflag, c_cflag: t.c_cflag, c_lflag: t.c_lflag, c_line: t.c_line, c_ispeed: t.c_ispeed, c_ospeed: t.c_ospeed, c_cc: t.c_cc };
}

/** Dumps the pair's two tty_info entries and queued bytes, once per index. */
function dumpPair(index: number, s: PtyDumpState, ctx: FileDumpContext): PairDump {
  const done = s.pairs.get(index);
  if (done) return done;
  const ref = s.masters.get(index)!;
  const what = `pty ${index} (master fd ${ref.fd} of task ${ref.pid})`;
  const master = ctx.grabFd(ref.pid, ref.fd);
  const pair: PairDump = { index, masterInfoId: s.nextInfoId++, slaveInfoId: s.nextInfoId++ };
  s.pairs.set(index, pair);

  const termios = decodeTermios2(native.ttyGet(master, TCGETS2));
  const locked = decodeTermios1(native.ttyGet(master, TIOCGLCKTRMIOS));
  const ws = native.ttyGet(master, TIOCGWINSZ);
  const isLocked = native.ioctlInt(master, TIOCGPTLCK) !== 0;
  const packet = native.ioctlInt(master, TIOCGPKT) !== 0;
  const masterExcl = native.ioctlInt(master, TIOCGEXCL) !== 0;
  // On a master these name the slave's session and foreground group; ENOTTY: it has none.
  const sid = ioctlIntOr(master, TIOCGSID, 0, ENOTTY);
  const pgrp = sid ? ioctlIntOr(master, TIOCGPGRP, 0, ENOTTY) : 0;
  if (sid && !ctx.treePids.includes(sid)) {
    throw new UnsupportedError(ref.pid, `fd ${ref.fd} (pty ${index})`, `it is the controlling terminal of session ${sid}, which is outside the tree`);
  }
  if (pgrp && !ctx.treePids.some((p) => p === pgrp)) {
    throw new UnsupportedError(ref.pid, `fd ${ref.fd} (pty ${index})`, `its foreground process group ${pgrp} has no leader in the tree`);
  }

  // The slave side, through a description of our own (its O_NONBLOCK is ours alone).
  const slave = openPeer(master, isLocked);
  let slaveExcl: boolean;
  let toSlave: Buffer, toMaster: Buffer;
  const masterFlags = native.fcntl(master, F_GETFL, 0);
  try {
    slaveExcl = native.ioctlInt(slave, TIOCGEXCL) !== 0;
    // What the slave's reader has not read yet: in canonical mode only whole lines are readable,
    // so the queue is read in non-canonical mode (line ends are bytes; they come back on feeding).
    if (termios.c_lflag & ICANON) {
      const raw = { ...termios, c_lflag: termios.c_lflag & ~ICANON, c_cc: [...termios.c_cc] };
      raw.c_cc[6] = 0; raw.c_cc[5] = 0; // VMIN, VTIME
      native.ttySet(master, TCSETS2, encodeTermios2(raw));
      try { toSlave = drain(slave); } finally { native.ttySet(master, TCSETS2, encodeTermios2(termios)); }
    } else {
      toSlave = drain(slave);
    }
    // What the master's reader has not read yet: packet mode off, or each read starts with a status byte.
    if (packet) native.ttySet(master, TIOCPKT, int32(0));
    native.fcntl(master, F_SETFL, masterFlags | O_NONBLOCK);
    try { toMaster = drain(master); } finally {
      native.fcntl(master, F_SETFL, masterFlags);
      if (packet) native.ttySet(master, TIOCPKT, int32(1));
    }
  } finally {
    fs.closeSync(slave);
  }
  ctx.log.debug(`${what}: ${toSlave.length} bytes queued for the slave, ${toMaster.length} for the master`);

  const pty = { index };
  ctx.addImageEntry(TTY_INFO_IMG, 'TTY_INFO', {
    id: pair.masterInfoId, type: 1, locked: isLocked, exclusive: masterExcl, packet_mode: packet,
    sid: 0, pgrp: 0, rdev: makeDev(PTMX_MAJOR, PTMX_MINOR), pty,
  });
  ctx.addImageEntry(TTY_INFO_IMG, 'TTY_INFO', {
    id: pair.slaveInfoId, type: 1, locked: isLocked, exclusive: slaveExcl, packet_mode: packet,
    sid, pgrp, rdev: makeDev(PTS_MAJOR + (index >> 8), index & 0xff), pty,
    termios: termiosEntry(termios), termios_locked: termiosEntry(locked),
    winsize: { ws_row: ws.readUInt16LE(0), ws_col: ws.readUInt16LE(2), ws_xpixel: ws.readUInt16LE(4), ws_ypixel: ws.readUInt16LE(6) },
  });
  if (toSlave.length) ctx.addImageEntry(TTY_DATA_IMG, 'TTY_DATA', { tty_id: pair.slaveInfoId, data: toSlave });
  if (toMaster.length) ctx.addImageEntry(TTY_DATA_IMG, 'TTY_DATA', { tty_id: pair.masterInfoId, data: toMaster });

  // The bytes were taken out: a tree that runs on gets them back.
  ctx.onRelease((killed) => {
    if (killed) return;
    const peer = openPeer(master, isLocked);
    try { refill(master, peer, termios, toSlave, toMaster); } finally { fs.closeSync(peer); }
  });
  return pair;
}

/** A slave fd of our own (non-blocking); a locked pair is unlocked for the open and locked again. */
function openPeer(master: number, isLocked: boolean): number {
  if (isLocked) native.ttySet(master, TIOCSPTLCK, int32(0));
  try {
    return native.ttyOpenPeer(master, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  } finally {
    if (isLocked) native.ttySet(master, TIOCSPTLCK, int32(1));
  }
}

function int32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v, 0);
  return b;
}

/** Puts the dumped queues back: toSlave into the slave's read queue, toMaster into the master's. */
function refill(master: number, slave: number, termios: Termios, toSlave: Buffer, toMaster: Buffer): void {
  if (toSlave.length) {
    native.ttySet(master, TCSETS2, encodeTermios2(feedingTermios(termios)));
    try { feed(slave, toSlave); } finally { native.ttySet(master, TCSETS2, encodeTermios2(termios)); }
  }
  if (toMaster.length) feed(master, toMaster);
}

export const pty: FileKind = {
  name: 'pty',
  type: FdType.TTY,
  // A session's controlling terminal is checked (and its pty dumped) even if no fd names it.
  beginDump: (ctx) => void dumpState(ctx),
  matches(f: OpenFd, ctx: FileDumpContext) {
    if (isPtyMaster(f.stat)) return true;
    // /dev/tty of a task whose controlling terminal is a pty of the tree.
    const index = isDevTty(f.stat) ? cttyIndex(f.pid) : ptySlaveIndex(f.stat);
    return index !== undefined && dumpState(ctx).masters.has(index);
  },
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    const s = dumpState(ctx);
    const isMaster = isPtyMaster(f.stat);
    const devTty = isDevTty(f.stat);
    const index = isMaster ? masterIndexOf(f.pid, f.fd) : devTty ? cttyIndex(f.pid) : ptySlaveIndex(f.stat);
    if (index === undefined) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'a pty master whose fdinfo shows no tty-index');
    if (isMaster && !/^\/dev\/(ptmx|pts\/ptmx)$/.test(f.link)) {
      throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'a pty master opened through a path other than /dev/ptmx or /dev/pts/ptmx (another devpts instance)');
    }
    if (devTty && f.link !== '/dev/tty') {
      throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'the controlling-terminal device under a path other than /dev/tty');
    }
    if (!isMaster && !devTty && f.link !== `/dev/pts/${index}`) {
      throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `a pty slave not opened as /dev/pts/${index} (another devpts instance, or /dev/tty)`);
    }
    const pair = dumpPair(index, s, ctx);
    const regfId = ctx.addFileEntry((rid) => ({ type: FdType.REG, id: rid, reg: { id: rid, flags: 0, pos: 0n, fown: NO_FOWN, name: f.link } }));
    return {
      type: FdType.TTY, id,
      tty: { id, tty_info_id: isMaster ? pair.masterInfoId : pair.slaveInfoId, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, regf_id: regfId },
    };
  },
  open(entry: Entry, ctx: FileRestoreContext) {
    const tty = entry.tty as Entry;
    const r = restoreState(ctx);
    // The caller's terminal of a shell job has no tty_info of its own: the terminal kind's.
    if (tty.tty_info_id === 0) return terminal.open(entry, ctx);
    const info = r.infos.get(tty.tty_info_id);
    if (!info) throw new ImageError(TTY_INFO_IMG, tty.tty_info_id, `no tty_info_entry for tty file ${entry.id}`);
    const p = openPair(info.pty.index, r, ctx);
    // O_ASYNC is set inside the task once it holds the fd (fds.ts): set here, SIGIO would name
    // the restorer's fd and the slave would get no fasync entry at all (open ignores O_ASYNC).
    const flags = (tty.flags & ~(O_CLOEXEC | O_ASYNC)) | O_NOCTTY;
    if (ctx.files.get(tty.regf_id)?.reg?.name === '/dev/tty') return { fd: openDevTty(info, flags, ctx) };
    if (info.id === p.masterInfo.id) {
      // A master has one open file description: every fd of it is a dup, its flags set on it.
      native.fcntl(p.master, F_SETFL, flags);
      return { fd: native.fcntl(p.master, 1030, 0) };
    }
    return { fd: openSlave(p, flags) };
  },
};

// ---- restore

interface PairRestore {
  index: number;
  master: number;
  /** A slave fd the restorer holds until the tree runs, so the pair does not see its slave closed. */
  slave: number;
  path: string;
  masterInfo: Entry;
  slaveInfo: Entry;
}

interface PtyRestoreState {
  infos: Map<number, Entry>;
  /** Slave info by pty index. */
  slaves: Map<number, Entry>;
  masters: Map<number, Entry>;
  data: Map<number, Buffer>;
  pairs: Map<number, PairRestore>;
}

function restoreState(ctx: FileRestoreContext): PtyRestoreState {
  let s = ctx.shared.get('pty') as PtyRestoreState | undefined;
  if (s) return s;
  s = { infos: new Map(), slaves: new Map(), masters: new Map(), data: new Map(), pairs: new Map() };
  for (const e of readImageOptional(ctx.imagesDir, TTY_INFO_IMG, 'TTY_INFO') ?? []) {
    if (e.type !== 1) continue;
    if (!e.pty) throw new ImageError(TTY_INFO_IMG, e.id, 'a pty entry without its index');
    s.infos.set(e.id, e);
    const { major } = devParts(e.rdev);
    (major === PTMX_MAJOR ? s.masters : s.slaves).set(e.pty.index, e);
  }
  for (const e of readImageOptional(ctx.imagesDir, TTY_DATA_IMG, 'TTY_DATA') ?? []) {
    if (!s.infos.has(e.tty_id)) throw new ImageError(TTY_DATA_IMG, e.tty_id, 'queued bytes of a tty that tty-info.img does not describe');
    s.data.set(e.tty_id, Buffer.from(e.data));
  }
  ctx.shared.set('pty', s);
  return s;
}

/** Opens ptmx until devpts hands out `index`; the extra pairs opened on the way are closed. */
function openMasterAt(index: number): number {
  const extra: number[] = [];
  try {
    for (let tries = 0; tries <= index; tries++) {
      const fd = fs.openSync('/dev/ptmx', O_RDWR | O_NOCTTY | O_CLOEXEC);
      const got = native.ioctlInt(fd, TIOCGPTN);
      if (got === index) return fd;
      extra.push(fd);
      if (got > index) break;
    }
  } finally {
    for (const fd of extra) fs.closeSync(fd);
  }
  throw new AmberError(`restoring pty ${index}: /dev/pts/${index} is in use on this host`);
}

function openPair(index: number, s: PtyRestoreState, ctx: FileRestoreContext): PairRestore {
  const done = s.pairs.get(index);
  if (done) return done;
  const masterInfo = s.masters.get(index), slaveInfo = s.slaves.get(index);
  if (!masterInfo || !slaveInfo) throw new ImageError(TTY_INFO_IMG, undefined, `pty ${index} lacks its ${masterInfo ? 'slave' : 'master'} entry`);
  const termios = termiosFromEntry(slaveInfo.termios, TTY_INFO_IMG, slaveInfo.id);
  if (!termios) throw new ImageError(TTY_INFO_IMG, slaveInfo.id, `pty ${index}: the slave entry has no termios`);
  const lockedTermios = termiosFromEntry(slaveInfo.termios_locked, TTY_INFO_IMG, slaveInfo.id);
  const master = openMasterAt(index);
  let slave: number;
  try {
    native.ttySet(master, TIOCSPTLCK, int32(0));
    slave = fs.openSync(`/dev/pts/${index}`, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  } catch (e) {
    fs.closeSync(master);
    throw e;
  }
  const p: PairRestore = { index, master, slave, path: `/dev/pts/${index}`, masterInfo, slaveInfo };
  s.pairs.set(index, p);
  ctx.onCleanup(() => { fs.closeSync(slave); fs.closeSync(master); });

  native.ttySet(master, TCSETS2, encodeTermios2(termios));
  if (slaveInfo.winsize) {
    const ws = Buffer.alloc(8);
    ws.writeUInt16LE(slaveInfo.winsize.ws_row, 0); ws.writeUInt16LE(slaveInfo.winsize.ws_col, 2);
    ws.writeUInt16LE(slaveInfo.winsize.ws_xpixel, 4); ws.writeUInt16LE(slaveInfo.winsize.ws_ypixel, 6);
    native.ttySet(master, TIOCSWINSZ, ws);
  }
  if (!mutated('skip-pty-queues')) refill(master, slave, termios, s.data.get(slaveInfo.id) ?? Buffer.alloc(0), s.data.get(masterInfo.id) ?? Buffer.alloc(0));
  if (masterInfo.packet_mode) native.ttySet(master, TIOCPKT, int32(1));
  // Locks and exclusive mode last, when every task holds its fds: they would refuse the opens.
  ctx.onResume(() => {
    if (lockedTermios) native.ttySet(master, TIOCSLCKTRMIOS, encodeTermios1(lockedTermios));
    if (slaveInfo.exclusive) native.ttySet(slave, TIOCEXCL);
    if (masterInfo.exclusive) native.ttySet(master, TIOCEXCL);
    if (masterInfo.locked) native.ttySet(master, TIOCSPTLCK, int32(1));
  });
  ctx.log.debug(`pty ${index} reopened`);
  return p;
}

/**
 * /dev/tty opens the opener's controlling terminal, so it is opened by the session's leader
 * (which has it back by now) and taken from there: the fd then reads "/dev/tty" as it did.
 */
function openDevTty(slaveInfo: Entry, flags: number, ctx: FileRestoreContext): number {
  const leader = slaveInfo.sid ? ctx.taskFor(slaveInfo.sid) : undefined;
  if (!leader) throw new ImageError(TTY_INFO_IMG, slaveInfo.id, `a /dev/tty fd of pty ${slaveInfo.pty.index}, whose session ${slaveInfo.sid || '(none)'} has no leader being restored`);
  const fd = Number(leader.remote.call(SYS.openat, -100, putString(leader, '/dev/tty'), (flags & ~O_CLOEXEC) | O_NOCTTY | O_CLOEXEC));
  const pidfd = native.pidfdOpen(slaveInfo.sid, 0);
  try {
    return native.pidfdGetfd(pidfd, fd);
  } finally {
    fs.closeSync(pidfd);
    leader.remote.call(SYS.close, fd);
  }
}

function openSlave(p: PairRestore, flags: number): number {
  return fs.openSync(p.path, flags | O_CLOEXEC);
}

/** The slave that is the controlling terminal of session sid, if one is. */
function cttyOf(s: PtyRestoreState, sid: number): Entry | undefined {
  return [...s.slaves.values()].find((e) => e.sid === sid);
}

/**
 * Gives a restored session leader its controlling terminal, before it forks (children inherit
 * it): the leader opens nothing itself, it takes the restorer's slave fd and claims it.
 */
export function restoreCtty(leader: Injected, sid: number, ctx: FileRestoreContext): boolean {
  const s = restoreState(ctx);
  const info = cttyOf(s, sid);
  if (!info || mutated('skip-ctty')) return false;
  const p = openPair(info.pty.index, s, ctx);
  const fd = takeRestorerFd(leader, p.slave);
  try {
    leader.remote.call(SYS.ioctl, fd, TIOCSCTTY, 0);
  } finally {
    leader.remote.call(SYS.close, fd);
  }
  return true;
}

/** The foreground group, once the groups exist; called in the leader, which has the terminal now. */
export function restoreForeground(leader: Injected, sid: number, ctx: FileRestoreContext): void {
  const s = restoreState(ctx);
  const info = cttyOf(s, sid);
  if (!info || !info.pgrp || info.pgrp === sid) return;
  const p = openPair(info.pty.index, s, ctx);
  const fd = takeRestorerFd(leader, p.slave);
  try {
    leader.mem.write(leader.data, int32(info.pgrp));
    leader.remote.call(SYS.ioctl, fd, TIOCSPGRP, leader.data);
  } finally {
    leader.remote.call(SYS.close, fd);
  }
}
