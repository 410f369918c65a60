/** What task-state modules need of a task under our control: syscalls inside it, its memory, a buffer. */
import { RemoteSyscalls } from '../compel/remote-syscalls';
import { TaskMemory } from '../compel/task-memory';

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
