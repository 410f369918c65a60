/** What task-state modules need of a task under our control: syscalls inside it, its memory, a buffer. */
import { RemoteSyscalls } from '../compel/remote-syscalls';
import { TaskMemory } from '../compel/task-memory';
import { SYS } from '../arch/x86_64/syscalls';

export interface Injected {
  readonly remote: RemoteSyscalls;
  readonly mem: TaskMemory;
  /** A scratch buffer inside the task, for structs passed to injected syscalls. */
  readonly data: bigint;
  readonly dataSize: number;
}

/** Copies a NUL-terminated string into the task's scratch buffer at offset, returns its address. */
export function putString(t: Injected, s: string, offset = 0): bigint {
  const b = Buffer.from(s + '\0', 'utf8');
  if (offset + b.length > t.dataSize) throw new Error(`string of ${b.length} bytes does not fit the scratch buffer`);
  t.mem.write(t.data + BigInt(offset), b);
  return t.data + BigInt(offset);
}

/** Gives the task a copy of one of the restorer's fds; returns its number in the task (close-on-exec). */
export function takeRestorerFd(t: Injected, fd: number): number {
  const pidfd = Number(t.remote.call(SYS.pidfd_open, process.pid, 0));
  try {
    return Number(t.remote.call(SYS.pidfd_getfd, pidfd, fd, 0));
  } finally {
    t.remote.call(SYS.close, pidfd);
  }
}
