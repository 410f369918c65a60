/** Credentials as creds_entry: ids, groups and capability sets from /proc/PID/status. */
import { ProcStatus, statusHex, statusNumbers } from '../proc/status';

function capWords(v: bigint): number[] {
  return [Number(v & 0xffffffffn), Number(v >> 32n)];
}

export function credsFromStatus(st: ProcStatus, secbits: number): Record<string, unknown> {
  const [uid, euid, suid, fsuid] = statusNumbers(st, 'Uid');
  const [gid, egid, sgid, fsgid] = statusNumbers(st, 'Gid');
  return {
    uid, gid, euid, egid, suid, sgid, fsuid, fsgid,
    cap_inh: capWords(statusHex(st, 'CapInh')),
    cap_prm: capWords(statusHex(st, 'CapPrm')),
    cap_eff: capWords(statusHex(st, 'CapEff')),
    cap_bnd: capWords(statusHex(st, 'CapBnd')),
    cap_amb: capWords(statusHex(st, 'CapAmb')),
    secbits,
    groups: statusNumbers(st, 'Groups'),
    no_new_privs: Number(st.get('NoNewPrivs') ?? '0'),
  };
}
