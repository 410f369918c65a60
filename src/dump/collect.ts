/** What /proc says of a task: read while it is frozen, before anything is injected into it. */
import * as fs from 'node:fs';
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
