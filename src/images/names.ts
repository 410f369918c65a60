/**
 * CRIU's file names for images in a dump directory. The number in a name is
 * a thread id (core), a process id (mm, pagemap, ids, fs, ...), or an object
 * id (pages, fdinfo when fdinfo_per_id).
 */
export const INVENTORY_IMG = 'inventory.img';
export const PSTREE_IMG = 'pstree.img';
export const FILES_IMG = 'files.img';
export const REG_FILES_IMG = 'reg-files.img';
export const EXT_FILES_IMG = 'ext-files.img';
export const PIPES_IMG = 'pipes.img';
export const PIPES_DATA_IMG = 'pipes-data.img';
export const FIFO_IMG = 'fifo.img';
export const FIFO_DATA_IMG = 'fifo-data.img';
export const EVENTFD_IMG = 'eventfd.img';
export const EVENTPOLL_IMG = 'eventpoll.img';
export const EVENTPOLL_TFD_IMG = 'eventpoll-tfd.img';
export const TTY_FILES_IMG = 'tty.img';
export const TTY_INFO_IMG = 'tty-info.img';
export const TTY_DATA_IMG = 'tty-data.img';
export const UNIXSK_IMG = 'unixsk.img';
export const INETSK_IMG = 'inetsk.img';
export const SK_QUEUES_IMG = 'sk-queues.img';
export const MEMFD_INODE_IMG = 'memfd.img';
export const REMAP_FPATH_IMG = 'remap-fpath.img';
export const SECCOMP_IMG = 'seccomp.img';
/** CRIU's names for the statistics, without `.img` (amber before 0.1.1 wrote them with it). */
export const STATS_DUMP_IMG = 'stats-dump';
export const STATS_RESTORE_IMG = 'stats-restore';

export const coreImg = (tid: number): string => `core-${tid}.img`;
export const mmImg = (pid: number): string => `mm-${pid}.img`;
export const vmasImg = (pid: number): string => `vmas-${pid}.img`;
export const pagemapImg = (pid: number): string => `pagemap-${pid}.img`;
export const pagesImg = (pagesId: number): string => `pages-${pagesId}.img`;
/** Contents of a shared memory object (a memfd), by its shmid: vaddr is the offset in the object. */
export const shmemPagemapImg = (shmid: number | bigint): string => `pagemap-shmem-${shmid}.img`;
/** Contents of an unlinked file, by ghost id in hex (remap-fpath.img refers to it). */
export const ghostFileImg = (id: number): string => `ghost-file-${id.toString(16)}.img`;
export const idsImg = (pid: number): string => `ids-${pid}.img`;
export const fdinfoImg = (id: number): string => `fdinfo-${id}.img`;
export const fsImg = (pid: number): string => `fs-${pid}.img`;
export const credsImg = (pid: number): string => `creds-${pid}.img`;
export const sigactsImg = (pid: number): string => `sigacts-${pid}.img`;
export const itimersImg = (pid: number): string => `itimers-${pid}.img`;
export const posixTimersImg = (pid: number): string => `posix-timers-${pid}.img`;
export const rlimitImg = (pid: number): string => `rlimit-${pid}.img`;
/** TCP connection state, named by the socket's inode in hex. */
export const tcpStreamImg = (ino: number): string => `tcp-stream-${ino.toString(16)}.img`;
export const statsImg = (which: 'dump' | 'restore'): string => `stats-${which}.img`;
