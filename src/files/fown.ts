/**
 * The owner of an open file description (F_SETOWN_EX: the task, process or group that gets SIGIO
 * or SIGURG), its signal (F_SETSIG) and O_ASYNC, for every fd kind at once: read from a duplicate
 * of the fd at dump into the kind's fown_entry, set on the restorer's copy at restore (the tree's
 * tasks exist by then, so the owner can be named). pid_type is the kernel's: 0 a thread, 1 a
 * process, 2 a process group.
 */
import { native } from '../native';
import { Entry } from '../images';
import { NO_FOWN } from './types';
import { mutated } from '../mutant';

const F_GETFL = 3, F_SETFL = 4, F_SETSIG = 10, F_GETSIG = 11, F_SETOWN_EX = 15, F_GETOWN_EX = 16;
const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;
export const O_ASYNC = 0o20000;
const PIDTYPE_BY_OWNER: Record<number, number> = { [F_OWNER_TID]: 0, [F_OWNER_PID]: 1, [F_OWNER_PGRP]: 2 };
const OWNER_BY_PIDTYPE: Record<number, number> = { 0: F_OWNER_TID, 1: F_OWNER_PID, 2: F_OWNER_PGRP };

/** The kind's sub-message of a file_entry (reg, pipe, usk...): the one that holds a fown. */
export function subMessage(entry: Entry): Entry | undefined {
  for (const [k, v] of Object.entries(entry)) if (k !== 'type' && k !== 'id' && v && typeof v === 'object' && 'fown' in v) return v as Entry;
  return undefined;
}

/** fown_entry of the file behind fd (a dumper's duplicate), NO_FOWN when no one owns it. */
export function readFown(fd: number): Entry {
  const owner = Buffer.alloc(8);
  // F_GETOWN_EX takes a pointer: the native fcntl passes integers only, so this goes through
  // the struct f_owner_ex helper.
  native.fcntlOwnerEx(fd, F_GETOWN_EX, owner);
  const pid = owner.readInt32LE(4), type = owner.readInt32LE(0);
  const signum = native.fcntl(fd, F_GETSIG, 0);
  if (!pid && !signum) return NO_FOWN;
  return { uid: 0, euid: 0, signum, pid_type: PIDTYPE_BY_OWNER[type] ?? 1, pid };
}

/**
 * Puts owner and signal back on the restorer's copy of the file; called once every task and
 * thread exists (an owner may be any of them). O_ASYNC is set by the task itself (asyncFlag),
 * since the kernel records which fd number asked for it and reports that number in si_fd.
 */
export function restoreFown(fd: number, fown: Entry | undefined): void {
  if (mutated('skip-fown')) return;
  if (fown && (fown.pid || fown.signum)) {
    if (fown.signum) native.fcntl(fd, F_SETSIG, fown.signum);
    if (fown.pid) {
      const owner = Buffer.alloc(8);
      owner.writeInt32LE(OWNER_BY_PIDTYPE[fown.pid_type] ?? F_OWNER_PID, 0);
      owner.writeInt32LE(fown.pid, 4);
      native.fcntlOwnerEx(fd, F_SETOWN_EX, owner);
    }
  }
}

/** Whether the file's status flags had O_ASYNC. */
export function hasAsync(entry: Entry): boolean {
  const flags = subMessage(entry)?.flags;
  return typeof flags === 'number' && (flags & O_ASYNC) !== 0;
}

export { F_GETFL, F_SETFL };
