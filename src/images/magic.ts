/**
 * Magic numbers of CRIU's image files (the values are CRIU's; they identify
 * each file's kind). Every image but inventory.img starts with a leading
 * magic (IMG_COMMON, or IMG_SERVICE for service images), then its own.
 */

/** Leading magic of ordinary images. */
export const IMG_COMMON = 0x54564319;
/** Leading magic of service images (stats, irmap cache): not part of the dumped state. */
export const IMG_SERVICE = 0x55105940;

/** inventory_entry.img_version of the current image format (CRTOOLS_IMAGES_V1_1). */
export const IMAGES_V1_1 = 2;

/** Per-kind magic, keyed by CRIU's magic name. */
export const MAGIC = {
  INVENTORY: 0x58313116,
  PSTREE: 0x50273030,
  CORE: 0x55053847,
  IDS: 0x54432030,
  MM: 0x57492820,
  VMAS: 0x54123737,
  PAGEMAP: 0x56084025,
  FDINFO: 0x56213732,
  FILES: 0x56303138,
  REG_FILES: 0x50363636,
  FS: 0x51403912,
  STATS: 0x57093306,
  PIPES: 0x56513555,
  PIPES_DATA: 0x56453709,
  FIFO: 0x58364939,
  FIFO_DATA: 0x59333054,
  EVENTFD_FILE: 0x44523722,
  EVENTPOLL_FILE: 0x45023858,
  EVENTPOLL_TFD: 0x44433746,
  TTY_FILES: 0x59433025,
  TTY_INFO: 0x59453036,
  TTY_DATA: 0x59413026,
  EXT_FILES: 0x59255641,
  CREDS: 0x54023547,
  ITIMERS: 0x57464056,
  POSIX_TIMERS: 0x52603957,
  UNIXSK: 0x54373943,
  INETSK: 0x56443851,
  TCP_STREAM: 0x51465506,
  SK_QUEUES: 0x56264026,
  FILE_LOCKS: 0x54323616,
  MEMFD_INODE: 0x48453499,
  GHOST_FILE: 0x52583605,
  REMAP_FPATH: 0x59133954,
  RLIMIT: 0x57113925,
  SIGACT: 0x55344201,
  SECCOMP: 0x64413049,
} as const;

export function hexMagic(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
