/** What /proc says of a task: read while it is frozen, before anything is injected into it. */
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
 * The working and root directories are carried by path: one that was removed (rmdir) or whose
 * path now leads elsewhere cannot be entered again, so the dump refuses it (amber does not
 * recreate removed directories yet).
 */
export function refuseLostFsDirs(pid: number, snap: ProcSnapshot): void {
  for (const [what, link] of [['working directory', snap.cwd], ['root directory', snap.root]] as const) {
    const held = fs.statSync(`/proc/${pid}/${what === 'working directory' ? 'cwd' : 'root'}`);
    let there: fs.Stats | undefined;
    try {
      there = fs.statSync(`/proc/${pid}/root${link}`);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw nodeErrorToSys(e, `stat ${link}`, pid);
    }
    if (there && there.dev === held.dev && there.ino === held.ino) continue;
    const why = link.endsWith(DELETED) ? 'was removed (rmdir) while the task is in it' : 'is no longer at that path';
    throw new UnsupportedError(pid, `${what} ${link}`, `the directory ${why}; amber does not recreate removed directories yet`);
  }
}
