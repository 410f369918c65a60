/**
 * Where amber finds a path a task's /proc links name. The kernel prints those links relative to
 * the reader's root and mount namespace: for a task of amber's mount namespace (a chrooted one
 * too) the link is the very path amber opens; for one of another mount namespace it is the path
 * inside that task's view, reached through /proc/PID/root.
 */
import * as fs from 'node:fs';

export function sameMountNs(pid: number): boolean {
  try {
    return fs.readlinkSync(`/proc/${pid}/ns/mnt`) === fs.readlinkSync('/proc/self/ns/mnt');
  } catch {
    return true;
  }
}

export function pathOfTask(pid: number, link: string): string {
  return sameMountNs(pid) ? link : `/proc/${pid}/root${link}`;
}
