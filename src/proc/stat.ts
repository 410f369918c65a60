/** Parser for /proc/PID/stat: comm in parentheses may hold spaces and ')' itself. */
export interface ProcStat {
  pid: number; comm: string; state: string; ppid: number; pgrp: number; session: number;
  ttyNr: number; flags: number; numThreads: number; startTime: bigint;
  startCode: bigint; endCode: bigint; startStack: bigint;
  startData: bigint; endData: bigint; startBrk: bigint;
  argStart: bigint; argEnd: bigint; envStart: bigint; envEnd: bigint; exitSignal: number;
  priority: number; nice: number; rtPriority: number; policy: number;
}

export function parseStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < 0) throw new Error(`unparsable stat: ${JSON.stringify(text.slice(0, 80))}`);
  // f[0] is field 3 (state) of proc(5).
  const f = text.slice(close + 2).trim().split(' ');
  const n = (i: number) => Number(f[i - 3]);
  const b = (i: number) => BigInt(f[i - 3] ?? '0');
  return {
    pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), state: f[0],
    ppid: n(4), pgrp: n(5), session: n(6), ttyNr: n(7), flags: n(9),
    priority: n(18), nice: n(19), numThreads: n(20), startTime: b(22),
    startCode: b(26), endCode: b(27), startStack: b(28), exitSignal: n(38),
    rtPriority: n(40), policy: n(41),
    startData: b(45), endData: b(46), startBrk: b(47), argStart: b(48), argEnd: b(49), envStart: b(50), envEnd: b(51),
  };
}
