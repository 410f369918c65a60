/** Credentials restore (creds_entry): groups, gids, uids, inside the task, when they differ from the restorer's. */
import { SYS } from '../arch/x86_64/syscalls';
import { Entry } from '../images';
import { Injected } from './injected';

const SYS_setfsuid = 122, SYS_setfsgid = 123;

export function restoreCreds(t: Injected, c: Entry): void {
  const same = c.uid === 0 && c.euid === 0 && c.suid === 0 && c.fsuid === 0 && c.gid === process.getgid!() && c.egid === process.getegid!();
  const groups: number[] = c.groups ?? [];
  if (same && groups.length === (process.getgroups?.() ?? []).length) return;
  const b = Buffer.alloc(groups.length * 4);
  groups.forEach((g, i) => b.writeUInt32LE(g, i * 4));
  if (b.length) t.mem.write(t.data, b);
  t.remote.call(SYS.setgroups, groups.length, t.data);
  t.remote.call(SYS.setresgid, c.gid, c.egid, c.sgid);
  t.remote.call(SYS_setfsgid, c.fsgid);
  t.remote.call(SYS.setresuid, c.uid, c.euid, c.suid);
  t.remote.call(SYS_setfsuid, c.fsuid);
}
