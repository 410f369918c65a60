/**
 * Credentials (creds_entry), restored inside each thread in the order the kernel allows:
 * groups and gids, the bounding set and securebits while CAP_SETPCAP is still held, uids with
 * capabilities kept across the switch, then the three capability sets, then no_new_privs.
 */
import * as fs from 'node:fs';
import { SYS } from '../arch/x86_64/syscalls';
import { Entry } from '../images';
import { Injected } from './injected';
import { mutated } from '../mutant';

const SYS_setfsuid = 122, SYS_setfsgid = 123;
const PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_SECUREBITS = 28, PR_SET_NO_NEW_PRIVS = 38;
const SECBIT_KEEP_CAPS = 1 << 4;
const PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2;
const SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

function lastCap(): number {
  return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
}

function mask(words: number[] | undefined): bigint {
  const w = words ?? [];
  return BigInt(w[0] ?? 0) | (BigInt(w[1] ?? 0) << 32n);
}

/** Applies the credentials of `c` (a creds_entry) to the thread. */
export function restoreCreds(t: Injected, c: Entry): void {
  const groups: number[] = c.groups ?? [];
  const b = Buffer.alloc(Math.max(groups.length * 4, 4));
  groups.forEach((g, i) => b.writeUInt32LE(g, i * 4));
  t.mem.write(t.data, b);
  t.remote.call(SYS.setgroups, groups.length, t.data);
  t.remote.call(SYS.setresgid, c.gid, c.egid, c.sgid);
  t.remote.call(SYS_setfsgid, c.fsgid);

  const bnd = mask(c.cap_bnd);
  for (let cap = 0; cap <= lastCap(); cap++) {
    if (!((bnd >> BigInt(cap)) & 1n)) t.remote.call(SYS.prctl, PR_CAPBSET_DROP, cap);
  }
  const secbits: number = c.secbits ?? 0;
  // SECBIT_NO_CAP_AMBIENT_RAISE (and its lock) would forbid raising the ambient set below.
  const amb = mask(c.cap_amb);
  const early = amb ? secbits & ~(SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) : secbits;
  if (early & ~SECBIT_KEEP_CAPS) t.remote.call(SYS.prctl, PR_SET_SECUREBITS, early | SECBIT_KEEP_CAPS);
  t.remote.call(SYS.prctl, PR_SET_KEEPCAPS, 1);
  t.remote.call(SYS.setresuid, c.uid, c.euid, c.suid);
  t.remote.call(SYS_setfsuid, c.fsuid);

  // capset(header {version, pid}, data[2] {effective, permitted, inheritable} x 2 words).
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  hdr.writeInt32LE(0, 4);
  const data = Buffer.alloc(24);
  const eff = mask(c.cap_eff), prm = mask(c.cap_prm), inh = mask(c.cap_inh);
  [eff, prm, inh].forEach((m, i) => {
    data.writeUInt32LE(Number(m & 0xffffffffn), i * 4);
    data.writeUInt32LE(Number(m >> 32n), 12 + i * 4);
  });
  t.mem.write(t.data, hdr);
  t.mem.write(t.data + 64n, data);
  t.remote.call(SYS.capset, t.data, t.data + 64n);
  // Ambient capabilities need their bit in the permitted and inheritable sets: after capset.
  for (let cap = 0; cap <= lastCap(); cap++) {
    if ((amb >> BigInt(cap)) & 1n && !mutated('skip-ambient-caps')) t.remote.call(SYS.prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  if (early !== secbits) t.remote.call(SYS.prctl, PR_SET_SECUREBITS, secbits);
  t.remote.call(SYS.prctl, PR_SET_KEEPCAPS, secbits & SECBIT_KEEP_CAPS ? 1 : 0);
  if (c.no_new_privs) t.remote.call(SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}
