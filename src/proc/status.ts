/** Parser for /proc/PID/status ("Key:\tvalue" lines). */
export type ProcStatus = Map<string, string>;

export function parseStatus(text: string): ProcStatus {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** "Uid: r e s fs" style rows as numbers. */
export function statusNumbers(st: ProcStatus, key: string): number[] {
  const v = st.get(key);
  if (v === undefined) throw new Error(`/proc status lacks ${key}`);
  return v.length === 0 ? [] : v.split(/\s+/).map(Number);
}

/** Capability masks are hex: CapEff: 000001fffeffffff. */
export function statusHex(st: ProcStatus, key: string): bigint {
  const v = st.get(key);
  if (v === undefined) throw new Error(`/proc status lacks ${key}`);
  return BigInt('0x' + v);
}
