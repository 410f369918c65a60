/** What /proc says of a task: read while it is frozen, before anything is injected into it. */
import { pathOfTask } from '../proc/task-path';
import * as fs from 'node:fs';
import { nodeErrorToSys, UnsupportedError } from '../errors';
import { MapsEntry, parseSmaps } from '../proc/maps';
import { parseStat, ProcStat } from '../proc/stat';
import { parseStatus, ProcStatus } from '../proc/status';

export interface ProcSnapshot {
  stat: ProcStat;
  status: ProcStatus;
  maps: MapsEntry[];
  auxv: bigint[];
  exe: string;
  cwd: string;
  root: string;
  personality: number;
  oomScoreAdj: number;
}

export function readProcSnapshot(pid: number): ProcSnapshot {
  const p = `/proc/${pid}`;
  const auxvRaw = fs.readFileSync(`${p}/auxv`);
  const auxv: bigint[] = [];
  for (let i = 0; i + 8 <= auxvRaw.length; i += 8) auxv.push(auxvRaw.readBigUInt64LE(i));
  return {
    stat: parseStat(fs.readFileSync(`${p}/stat`, 'utf8')),
    status: parseStatus(fs.readFileSync(`${p}/status`, 'utf8')),
    maps: parseSmaps(fs.readFileSync(`${p}/smaps`, 'utf8')),
    auxv,
    exe: fs.readlinkSync(`${p}/exe`),
    cwd: fs.readlinkSync(`${p}/cwd`),
    root: fs.readlinkSync(`${p}/root`),
    personality: parseInt(fs.readFileSync(`${p}/personality`, 'utf8'), 16),
    oomScoreAdj: Number(fs.readFileSync(`${p}/oom_score_adj`, 'utf8')),
  };
}

const DELETED = ' (deleted)';

/**
 * Whether /proc/PID/WHICH (cwd, root, exe) is still at the path `link` names (task-path.ts: a
 * chrooted task's links are amber's own paths, which restore opens too).
 */
function stillThere(pid: number, which: 'cwd' | 'root' | 'exe', link: string): boolean {
  const held = fs.statSync(`/proc/${pid}/${which}`);
  try {
    const there = fs.statSync(pathOfTask(pid, link));
    return there.dev === held.dev && there.ino === held.ino;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw nodeErrorToSys(e, `stat ${link}`, pid);
    return false;
  }
}

/**
 * The working and root directories are carried by path. A working directory that was removed
 * (rmdir) is carried as a ghost directory: its old path is returned. A root directory that was
 * removed, or either one whose path now leads elsewhere, cannot be entered again: refused.
 */
export function removedCwd(pid: number, snap: ProcSnapshot): string | undefined {
  if (!stillThere(pid, 'root', snap.root)) {
    throw new UnsupportedError(pid, `root directory ${snap.root}`, 'the root directory was removed or is no longer at that path; amber cannot enter it again');
  }
  if (stillThere(pid, 'cwd', snap.cwd)) return undefined;
  if (snap.cwd.endsWith(DELETED)) return snap.cwd.slice(0, -DELETED.length);
  throw new UnsupportedError(pid, `working directory ${snap.cwd}`, 'the directory is no longer at that path (over-mounted?); amber cannot enter it again');
}

/**
 * The exe link is set again by path (PR_SET_MM_MAP): an executable that was deleted or replaced
 * since the task started cannot be named again, so the dump refuses it rather than leave a
 * restore that must fail.
 */
export function refuseLostExe(pid: number, snap: ProcSnapshot): void {
  if (stillThere(pid, 'exe', snap.exe)) return;
  throw new UnsupportedError(pid, `executable ${snap.exe}`, 'the program file was deleted or replaced since the task started; amber sets the exe link by path and cannot name it again');
}
