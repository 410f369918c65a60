/**
 * The image kinds amber reads and writes: for each, its magic, the protobuf
 * message its entries hold, and how its file is framed.
 */
import type { Entry } from './image-file';
import { MAGIC } from './magic';

/** Raw bytes that follow an entry's message in the file (pipe data, TCP queues). */
export interface ExtraPayload {
  /** Number of raw bytes after this entry's message, read from the entry itself. */
  length(entry: Entry): number;
}

export interface ImageKind {
  readonly magic: number;
  /** Message type of every entry (snake_case name, as in src/images/proto). */
  readonly message: string;
  /** Message type of the first entry, when it differs (pagemap_head). */
  readonly head?: string;
  /** Leading magic is IMG_SERVICE rather than IMG_COMMON. */
  readonly service?: boolean;
  /** No leading magic at all: only inventory.img. */
  readonly bare?: boolean;
  /** Raw payload after each entry (but the head); on the JS side it is `entry.extra` (a Buffer). */
  readonly extra?: ExtraPayload;
}

const pipeData: ExtraPayload = { length: (e) => e.bytes };
const skQueue: ExtraPayload = { length: (e) => e.length };
const tcpQueues: ExtraPayload = { length: (e) => e.inq_len + e.outq_len };
const ghostChunk: ExtraPayload = { length: (e) => Number(e.len) };

export const IMAGE_KINDS = {
  INVENTORY: { magic: MAGIC.INVENTORY, message: 'inventory_entry', bare: true },
  PSTREE: { magic: MAGIC.PSTREE, message: 'pstree_entry' },
  CORE: { magic: MAGIC.CORE, message: 'core_entry' },
  IDS: { magic: MAGIC.IDS, message: 'task_kobj_ids_entry' },
  MM: { magic: MAGIC.MM, message: 'mm_entry' },
  VMAS: { magic: MAGIC.VMAS, message: 'vma_entry' },
  PAGEMAP: { magic: MAGIC.PAGEMAP, message: 'pagemap_entry', head: 'pagemap_head' },
  FDINFO: { magic: MAGIC.FDINFO, message: 'fdinfo_entry' },
  FILES: { magic: MAGIC.FILES, message: 'file_entry' },
  REG_FILES: { magic: MAGIC.REG_FILES, message: 'reg_file_entry' },
  FS: { magic: MAGIC.FS, message: 'fs_entry' },
  STATS: { magic: MAGIC.STATS, message: 'stats_entry', service: true },
  PIPES: { magic: MAGIC.PIPES, message: 'pipe_entry' },
  PIPES_DATA: { magic: MAGIC.PIPES_DATA, message: 'pipe_data_entry', extra: pipeData },
  FIFO: { magic: MAGIC.FIFO, message: 'fifo_entry' },
  FIFO_DATA: { magic: MAGIC.FIFO_DATA, message: 'pipe_data_entry', extra: pipeData },
  EVENTFD_FILE: { magic: MAGIC.EVENTFD_FILE, message: 'eventfd_file_entry' },
  EVENTPOLL_FILE: { magic: MAGIC.EVENTPOLL_FILE, message: 'eventpoll_file_entry' },
  EVENTPOLL_TFD: { magic: MAGIC.EVENTPOLL_TFD, message: 'eventpoll_tfd_entry' },
  TTY_FILES: { magic: MAGIC.TTY_FILES, message: 'tty_file_entry' },
  TTY_INFO: { magic: MAGIC.TTY_INFO, message: 'tty_info_entry' },
  TTY_DATA: { magic: MAGIC.TTY_DATA, message: 'tty_data_entry' },
  EXT_FILES: { magic: MAGIC.EXT_FILES, message: 'ext_file_entry' },
  CREDS: { magic: MAGIC.CREDS, message: 'creds_entry' },
  ITIMERS: { magic: MAGIC.ITIMERS, message: 'itimer_entry' },
  POSIX_TIMERS: { magic: MAGIC.POSIX_TIMERS, message: 'posix_timer_entry' },
  UNIXSK: { magic: MAGIC.UNIXSK, message: 'unix_sk_entry' },
  INETSK: { magic: MAGIC.INETSK, message: 'inet_sk_entry' },
  TCP_STREAM: { magic: MAGIC.TCP_STREAM, message: 'tcp_stream_entry', extra: tcpQueues },
  SK_QUEUES: { magic: MAGIC.SK_QUEUES, message: 'sk_packet_entry', extra: skQueue },
  FILE_LOCKS: { magic: MAGIC.FILE_LOCKS, message: 'file_lock_entry' },
  MEMFD_INODE: { magic: MAGIC.MEMFD_INODE, message: 'memfd_inode_entry' },
  GHOST_FILE: { magic: MAGIC.GHOST_FILE, message: 'ghost_chunk_entry', head: 'ghost_file_entry', extra: ghostChunk },
  REMAP_FPATH: { magic: MAGIC.REMAP_FPATH, message: 'remap_file_path_entry' },
  RLIMIT: { magic: MAGIC.RLIMIT, message: 'rlimit_entry' },
  SIGACT: { magic: MAGIC.SIGACT, message: 'sa_entry' },
  SECCOMP: { magic: MAGIC.SECCOMP, message: 'seccomp_entry' },
} as const satisfies Record<keyof typeof MAGIC, ImageKind>;

export type ImageKindName = keyof typeof IMAGE_KINDS;

export const IMAGE_KIND_NAMES = Object.keys(IMAGE_KINDS) as ImageKindName[];

export function imageKind(name: ImageKindName): ImageKind {
  const kind: ImageKind | undefined = IMAGE_KINDS[name];
  if (!kind) throw new TypeError(`unknown image kind ${String(name)}`);
  return kind;
}

export function isServiceImage(name: ImageKindName): boolean {
  return imageKind(name).service === true;
}

const byMagic = new Map<number, ImageKindName>(IMAGE_KIND_NAMES.map((n) => [IMAGE_KINDS[n].magic, n]));

/** The kind whose own magic is `magic`, if amber knows it. */
export function kindByMagic(magic: number): ImageKindName | undefined {
  return byMagic.get(magic);
}
