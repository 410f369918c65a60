/**
 * Credentials (creds_entry), restored inside each thread in the order the kernel allows:
 * groups and gids, the bounding set and securebits while CAP_SETPCAP is still held, uids with
 * capabilities kept across the switch, then the three capability sets, then no_new_privs.
 */
import * as fs from 'node:fs';
import { SYS } from '../arch/x86_64/syscalls';
import { Entry } from '../images';
import { mutated } from '../mutant';
import type { CallBatch } from './call-batch';

const SYS_setfsuid = 122, SYS_setfsgid = 123;
const PR_SET_KEEPCAPS = 8, PR_CAPBSET_DROP = 24, PR_SET_SECUREBITS = 28, PR_SET_NO_NEW_PRIVS = 38;
const SECBIT_KEEP_CAPS = 1 << 4;
const PR_CAP_AMBIENT = 47, PR_CAP_AMBIENT_RAISE = 2;
const SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6, SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED = 1 << 7;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** The highest capability this kernel knows. */
function lastCap(): number {
  return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
}

function mask(words: number[] | undefined): bigint {
  const w = words ?? [];
  return BigInt(w[0] ?? 0) | (BigInt(w[1] ?? 0) << 32n);
}

/** Adds the calls that give the thread the credentials of `c` (a creds_entry) to batch `b`. */
export function addCreds(b: CallBatch, c: Entry): void {
  const top = lastCap();
  const groups: number[] = c.groups ?? [];
  const g = Buffer.alloc(Math.max(4, groups.length * 4));
  groups.forEach((x, i) => g.writeUInt32LE(x, i * 4));
  const groupsAt = b.put(g);
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
  const hdrAt = b.put(hdr), dataAt = b.put(data);
  b.call(SYS.setgroups, groups.length, groupsAt);
  b.call(SYS.setresgid, c.gid, c.egid, c.sgid);
  b.call(SYS_setfsgid, c.fsgid);
  const bnd = mask(c.cap_bnd);
  for (let cap = 0; cap <= top; cap++) {
    if (!((bnd >> BigInt(cap)) & 1n)) b.call(SYS.prctl, PR_CAPBSET_DROP, cap);
  }
  const secbits: number = c.secbits ?? 0;
  // SECBIT_NO_CAP_AMBIENT_RAISE (and its lock) would forbid raising the ambient set below.
  const amb = mask(c.cap_amb);
  const early = amb ? secbits & ~(SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) : secbits;
  if (early & ~SECBIT_KEEP_CAPS) b.call(SYS.prctl, PR_SET_SECUREBITS, early | SECBIT_KEEP_CAPS);
  b.call(SYS.prctl, PR_SET_KEEPCAPS, 1);
  b.call(SYS.setresuid, c.uid, c.euid, c.suid);
  b.call(SYS_setfsuid, c.fsuid);
  b.call(SYS.capset, hdrAt, dataAt);
  // Ambient capabilities need their bit in the permitted and inheritable sets: after capset.
  for (let cap = 0; cap <= top; cap++) {
    if ((amb >> BigInt(cap)) & 1n && !mutated('skip-ambient-caps')) b.call(SYS.prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  if (early !== secbits) b.call(SYS.prctl, PR_SET_SECUREBITS, secbits);
  b.call(SYS.prctl, PR_SET_KEEPCAPS, secbits & SECBIT_KEEP_CAPS ? 1 : 0);
  if (c.no_new_privs) b.call(SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

