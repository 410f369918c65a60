/**
 * --link-remap: an open regular file whose name was unlinked, but which is still linked under
 * another name (or was made O_TMPFILE), is kept by a hard link made at dump instead of a copy of
 * its data: linkat of /proc/PID/fd/N to "link_remap.N" in the directory of its old name. In
 * CRIU's layout: the link is a reg_file_entry of its own in files.img, and remap-fpath.img says
 * (remap_type LINKED) that file `orig_id` opens through file `remap_id`. One link per inode.
 *
 * The link stays in the file system until restore (with --leave-running too); a failed dump
 * removes the links it made. A file with no link left at all (nlink 0: unlinked, which the
 * kernel does not link again, or O_TMPFILE, which a link would change) stays a ghost (ghost.ts).
 *
 * Restore links the file back under its old name when that name is free, opens it there (so the
 * fd reads "/path (deleted)" again), unlinks that name at once, and removes the link_remap name
 * when the tree is about to run; every open file description is a reopen through
 * /proc/self/fd of that one open, so all share the inode, and it is the dumped inode itself.
 */
import { pathOfTask } from '../proc/task-path';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from '../lazy-spawn';
import { ImageError, nodeErrorToSys, UnsupportedError } from '../errors';
import { Entry, REMAP_FPATH_IMG } from '../images';
import { FdType, FileDumpContext, FileRestoreContext, NO_FOWN, OpenFd } from './types';

export const REMAP_LINKED = 0;
const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000;
const LINK_PREFIX = 'link_remap.';

interface LinkDumpState { byInode: Map<string, number>; made: string[] }

function dumpState(ctx: FileDumpContext): LinkDumpState {
  let s = ctx.cache.get('link-remap') as LinkDumpState | undefined;
  if (!s) {
    ctx.cache.set('link-remap', (s = { byInode: new Map(), made: [] }));
    const made = s.made;
    ctx.onAbort(() => {
      for (const p of made) {
        try { fs.unlinkSync(p); } catch (e) { ctx.log.warn(`removing the link ${p} of a failed dump: ${(e as Error).message}`); }
      }
    });
  }
  return s;
}

/**
 * A hard link to the file behind `/proc/PID/fd/N`, made in dir (a path inside the task's root);
 * returns its path as the task sees it, or undefined when the kernel refuses to link the inode
 * (no link left: ENOENT). linkat(AT_SYMLINK_FOLLOW) goes through coreutils' `ln -L`, which is
 * exactly that call: Node has no linkat, and the addon does not need one for this alone.
 */
function linkInto(f: OpenFd, dir: string, ctx: FileDumpContext): string | undefined {
  // The task's paths as amber reaches them (a chrooted task's links are amber's paths already).
  const root = pathOfTask(f.pid, '');
  for (let n = 1; n < 1000; n++) {
    const name = path.join(dir, `${LINK_PREFIX}${f.stat.ino.toString(16)}.${n}`);
    if (fs.existsSync(root + name)) continue;
    const r = spawnSync('ln', ['-L', '--', `/proc/${f.pid}/fd/${f.fd}`, root + name], { encoding: 'utf8' });
    if (r.error) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `--link-remap: cannot run ln to link it: ${r.error.message}`);
    if (r.status === 0) return name;
    if (/File exists/.test(r.stderr)) continue;
    if (/No such file or directory/.test(r.stderr) && fs.existsSync(root + dir)) return undefined;
    throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `--link-remap: linking it as ${name} failed: ${r.stderr.trim()}`);
  }
  throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `--link-remap: no free link_remap name in ${dir}`);
}

/**
 * With --link-remap, keeps the unlinked file of fd f (opened as `name`) by a hard link and records
 * that file `id` opens through it; false when it cannot be linked (it then goes as a ghost).
 */
export function dumpLinkRemap(f: OpenFd, id: number, name: string, ctx: FileDumpContext): boolean {
  // No link left (an unlinked file, or an O_TMPFILE one): the kernel links only the latter, and
  // a link made here would take away its O_TMPFILE nature, so both go as ghosts.
  if (!ctx.linkRemap || f.stat.nlink === 0) return false;
  const s = dumpState(ctx);
  const key = `${f.stat.dev}:${f.stat.ino}`;
  let linkId = s.byInode.get(key);
  if (linkId === undefined) {
    const link = linkInto(f, path.dirname(name), ctx);
    if (link === undefined) {
      ctx.log.debug(`fd ${f.fd} of ${f.pid}: ${f.link} has no link left to link again; it goes as a ghost`);
      return false;
    }
    s.made.push(pathOfTask(f.pid, link));
    const st = fs.statSync(pathOfTask(f.pid, link));
    if (st.dev !== f.stat.dev || st.ino !== f.stat.ino) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `--link-remap: ${link} is not the open file`);
    linkId = ctx.addFileEntry((lid) => ({
      type: FdType.REG, id: lid,
      reg: { id: lid, flags: 0, pos: 0n, fown: NO_FOWN, name: link, mnt_id: f.info.mntId, size: BigInt(f.stat.size), mode: f.stat.mode },
    }));
    s.byInode.set(key, linkId);
    ctx.log.info(`fd ${f.fd} of ${f.pid}: ${f.link} kept as the hard link ${link} (file id ${linkId})`);
  }
  ctx.addImageEntry(REMAP_FPATH_IMG, 'REMAP_FPATH', { orig_id: id, remap_id: linkId, remap_type: REMAP_LINKED });
  return true;
}

// ---- restore ----

/** The restorer's O_PATH fd on the linked file `linkId`, opened (once) under `name` when free. */
function restorerLinked(linkId: number, name: string, ctx: FileRestoreContext): number {
  const key = `link-remap:${linkId}`;
  const have = ctx.shared.get(key) as number | undefined;
  if (have !== undefined) return have;
  const link: Entry | undefined = ctx.files.get(linkId)?.reg;
  if (!link || typeof link.name !== 'string') throw new ImageError('files.img', linkId, `the link_remap file of ${name} is not in files.img`);
  let opened = link.name;
  try {
    fs.linkSync(link.name, name);
    opened = name;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImageError(REMAP_FPATH_IMG, undefined, `${name}: its link ${link.name} made at dump is gone`);
    if (code !== 'EEXIST') throw nodeErrorToSys(e, `link ${link.name} back to ${name}`);
    ctx.log.warn(`${name} exists again: the unlinked file is opened through ${link.name}, and its fds will name that`);
  }
  let fd: number;
  try {
    fd = fs.openSync(opened, O_PATH | O_CLOEXEC);
  } catch (e) {
    throw nodeErrorToSys(e, `open ${opened}`);
  } finally {
    if (opened === name) fs.unlinkSync(name);
  }
  ctx.shared.set(key, fd);
  ctx.onCleanup(() => fs.closeSync(fd));
  // Once every task holds its files: the dumped inode is theirs alone again, as it was.
  ctx.onResume(() => fs.unlinkSync(link.name));
  ctx.log.debug(`${name}: opened through its link ${link.name} (file id ${linkId})`);
  return fd;
}

/** A new open file description (flags as given) of the file kept by link `linkId`, for file `name`. */
export function openLinked(linkId: number, name: string, flags: number, ctx: FileRestoreContext): number {
  const master = restorerLinked(linkId, name, ctx);
  try {
    return fs.openSync(`/proc/self/fd/${master}`, flags | O_CLOEXEC);
  } catch (e) {
    throw nodeErrorToSys(e, `reopen the unlinked ${name}`);
  }
}
