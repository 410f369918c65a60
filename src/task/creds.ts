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

/** The highest capability this kernel knows. */
function lastCap(): number {
  return Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
}

function mask(words: number[] | undefined): bigint {
  const w = words ?? [];
  return BigInt(w[0] ?? 0) | (BigInt(w[1] ?? 0) << 32n);
}

/**
 * Applies the credentials of `c` (a creds_entry) to the thread: one batch of injected syscalls
 * (their order is the kernel's rule above; a failure anywhere fails the restore).
 */
export function restoreCreds(t: Injected, c: Entry): void {
  const top = lastCap();
  const groups: number[] = c.groups ?? [];
  // The data buffer: the groups, then capset's header and data.
  const hdrAt = Math.ceil((groups.length * 4) / 64) * 64 + 64;
  const buf = Buffer.alloc(hdrAt + 64 + 24);
  groups.forEach((g, i) => buf.writeUInt32LE(g, i * 4));
  // capset(header {version, pid}, data[2] {effective, permitted, inheritable} x 2 words).
  buf.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, hdrAt);
  buf.writeInt32LE(0, hdrAt + 4);
  const eff = mask(c.cap_eff), prm = mask(c.cap_prm), inh = mask(c.cap_inh);
  [eff, prm, inh].forEach((m, i) => {
    buf.writeUInt32LE(Number(m & 0xffffffffn), hdrAt + 64 + i * 4);
    buf.writeUInt32LE(Number(m >> 32n), hdrAt + 64 + 12 + i * 4);
  });
  t.mem.write(t.data, buf);

  const calls: { nr: number; args: (number | bigint)[] }[] = [];
  const call = (nr: number, ...args: (number | bigint)[]) => calls.push({ nr, args });
  call(SYS.setgroups, groups.length, t.data);
  call(SYS.setresgid, c.gid, c.egid, c.sgid);
  call(SYS_setfsgid, c.fsgid);
  const bnd = mask(c.cap_bnd);
  for (let cap = 0; cap <= top; cap++) {
    if (!((bnd >> BigInt(cap)) & 1n)) call(SYS.prctl, PR_CAPBSET_DROP, cap);
  }
  const secbits: number = c.secbits ?? 0;
  // SECBIT_NO_CAP_AMBIENT_RAISE (and its lock) would forbid raising the ambient set below.
  const amb = mask(c.cap_amb);
  const early = amb ? secbits & ~(SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) : secbits;
  if (early & ~SECBIT_KEEP_CAPS) call(SYS.prctl, PR_SET_SECUREBITS, early | SECBIT_KEEP_CAPS);
  call(SYS.prctl, PR_SET_KEEPCAPS, 1);
  call(SYS.setresuid, c.uid, c.euid, c.suid);
  call(SYS_setfsuid, c.fsuid);
  call(SYS.capset, t.data + BigInt(hdrAt), t.data + BigInt(hdrAt + 64));
  // Ambient capabilities need their bit in the permitted and inheritable sets: after capset.
  for (let cap = 0; cap <= top; cap++) {
    if ((amb >> BigInt(cap)) & 1n && !mutated('skip-ambient-caps')) call(SYS.prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
  }
  if (early !== secbits) call(SYS.prctl, PR_SET_SECUREBITS, secbits);
  call(SYS.prctl, PR_SET_KEEPCAPS, secbits & SECBIT_KEEP_CAPS ? 1 : 0);
  if (c.no_new_privs) call(SYS.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  t.remote.callBatch(calls);
}
