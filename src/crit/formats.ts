/**
 * How crit's --pretty JSON shows particular fields: as hex strings, as flag
 * names joined by " | ", as "major:minor" devices, as IP address strings, as
 * names from small value tables, and which bytes field is quoted-printable
 * rather than base64. These are facts of CRIU's image format (which of its
 * fields carry which rendering), written down here as amber's own table.
 *
 * A format applies to the field of that message in every image it occurs
 * in; `hex` also applies to every integer nested under the field.
 */

export interface FieldFormat {
  /** Integers as "0x..." (and everything nested under a message field). */
  hex?: true;
  /** A dev_t as "major:minor": the kernel's encoding (minor in the low 20 bits)... */
  dev?: true;
  /** ...or, with odev, glibc's (the old 8-bit minor layout, as in stat.st_rdev). */
  odev?: true;
  /** A repeated uint32 holding an IPv4 (one word) or IPv6 (four words) address, network order. */
  ip?: true;
  /** Bit names, from FLAG_SETS. */
  flags?: keyof typeof FLAG_SETS;
  /** Value names, from VALUE_NAMES (keyed by the field's own name). */
  names?: keyof typeof VALUE_NAMES;
  /** Bytes shown quoted-printable rather than base64. */
  quoted?: true;
}

/** Bit names of flag fields, in the order they are printed; leftover bits follow as hex. */
export const FLAG_SETS = {
  'mmap.prot': [
    ['PROT_READ', 0x1],
    ['PROT_WRITE', 0x2],
    ['PROT_EXEC', 0x4],
  ],
  'mmap.flags': [
    ['MAP_SHARED', 0x1],
    ['MAP_PRIVATE', 0x2],
    ['MAP_ANON', 0x20],
    ['MAP_GROWSDOWN', 0x100],
  ],
  'mmap.status': [
    ['VMA_AREA_NONE', 0],
    ['VMA_AREA_REGULAR', 1 << 0],
    ['VMA_AREA_STACK', 1 << 1],
    ['VMA_AREA_VSYSCALL', 1 << 2],
    ['VMA_AREA_VDSO', 1 << 3],
    ['VMA_AREA_HEAP', 1 << 5],
    ['VMA_FILE_PRIVATE', 1 << 6],
    ['VMA_FILE_SHARED', 1 << 7],
    ['VMA_ANON_SHARED', 1 << 8],
    ['VMA_ANON_PRIVATE', 1 << 9],
    ['VMA_AREA_SYSVIPC', 1 << 10],
    ['VMA_AREA_SOCKET', 1 << 11],
    ['VMA_AREA_VVAR', 1 << 12],
    ['VMA_AREA_AIORING', 1 << 13],
    ['VMA_UNSUPP', 2 ** 31],
  ],
  'rfile.flags': [
    ['O_WRONLY', 0o1],
    ['O_RDWR', 0o2],
    ['O_CREAT', 0o100],
    ['O_EXCL', 0o200],
    ['O_NOCTTY', 0o400],
    ['O_TRUNC', 0o1000],
    ['O_APPEND', 0o2000],
    ['O_NONBLOCK', 0o4000],
    ['O_DSYNC', 0o10000],
    ['FASYNC', 0o20000],
    ['O_DIRECT', 0o40000],
    ['O_LARGEFILE', 0o100000],
    ['O_DIRECTORY', 0o200000],
    ['O_NOFOLLOW', 0o400000],
    ['O_NOATIME', 0o1000000],
    ['O_CLOEXEC', 0o2000000],
  ],
  'pmap.flags': [
    ['PE_PARENT', 1 << 0],
    ['PE_LAZY', 1 << 1],
    ['PE_PRESENT', 1 << 2],
  ],
  'seals.flags': [
    ['F_SEAL_SEAL', 0x1],
    ['F_SEAL_SHRINK', 0x2],
    ['F_SEAL_GROW', 0x4],
    ['F_SEAL_WRITE', 0x8],
    ['F_SEAL_FUTURE_WRITE', 0x10],
  ],
} as const satisfies Record<string, ReadonlyArray<readonly [string, number]>>;

/** Names of values, per table and field name; a value without a name is printed as a number. */
export const VALUE_NAMES = {
  gen: {
    task_state: { 1: 'Alive', 3: 'Zombie', 6: 'Stopped' },
  },
  sk: {
    family: { 1: 'UNIX', 2: 'INET', 10: 'INET6', 16: 'NETLINK', 17: 'PACKET' },
    type: { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 5: 'SEQPACKET', 10: 'PACKET' },
    state: {
      1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1', 5: 'FIN_WAIT2', 6: 'TIME_WAIT',
      7: 'CLOSE', 8: 'CLOSE_WAIT', 9: 'LAST_ACK', 10: 'LISTEN',
    },
    proto: { 0: 'IP', 6: 'TCP', 17: 'UDP', 136: 'UDPLITE' },
  },
} as const satisfies Record<string, Record<string, Record<number, string>>>;

const HEX: FieldFormat = { hex: true };

/** Formats by "message.field" (message names as in src/images/proto). */
export const FIELD_FORMATS: Readonly<Record<string, FieldFormat>> = {
  // Memory
  'mm_entry.mm_start_code': HEX,
  'mm_entry.mm_end_code': HEX,
  'mm_entry.mm_start_data': HEX,
  'mm_entry.mm_end_data': HEX,
  'mm_entry.mm_start_stack': HEX,
  'mm_entry.mm_start_brk': HEX,
  'mm_entry.mm_brk': HEX,
  'mm_entry.mm_arg_start': HEX,
  'mm_entry.mm_arg_end': HEX,
  'mm_entry.mm_env_start': HEX,
  'mm_entry.mm_env_end': HEX,
  'vma_entry.start': HEX,
  'vma_entry.end': HEX,
  'vma_entry.prot': { flags: 'mmap.prot' },
  'vma_entry.flags': { flags: 'mmap.flags' },
  'vma_entry.status': { flags: 'mmap.status' },
  'vma_entry.madv': HEX,
  'vma_entry.fdflags': HEX,
  'pagemap_entry.vaddr': HEX,
  'pagemap_entry.flags': { flags: 'pmap.flags' },
  // Tasks
  'task_core_entry.task_state': { names: 'gen' },
  'task_core_entry.blk_sigset': HEX,
  'task_core_entry.blk_sigset_extended': HEX,
  'thread_info_x86.clear_tid_addr': HEX,
  'thread_info_x86.gpregs': HEX,
  'sa_entry.sigaction': HEX,
  'sa_entry.flags': HEX,
  'sa_entry.restorer': HEX,
  'sa_entry.mask': HEX,
  'sa_entry.mask_extended': HEX,
  // Files
  'reg_file_entry.flags': { flags: 'rfile.flags' },
  'memfd_file_entry.flags': { flags: 'rfile.flags' },
  'memfd_inode_entry.seals': { flags: 'seals.flags' },
  'ghost_file_entry.dev': { dev: true },
  'ghost_file_entry.rdev': { dev: true, odev: true },
  'pipe_entry.flags': HEX,
  'tty_file_entry.flags': HEX,
  'signalfd_entry.flags': HEX,
  'signalfd_entry.sigmask': HEX,
  'timerfd_entry.flags': HEX,
  'timerfd_entry.settime_flags': HEX,
  'inotify_file_entry.flags': HEX,
  'inotify_wd_entry.mask': HEX,
  'inotify_wd_entry.ignored_mask': HEX,
  'inotify_wd_entry.s_dev': { dev: true },
  'fanotify_file_entry.flags': HEX,
  'fanotify_file_entry.faflags': HEX,
  'fanotify_file_entry.evflags': HEX,
  'fanotify_mark_entry.mflags': HEX,
  'fanotify_mark_entry.mask': HEX,
  'fanotify_mark_entry.ignored_mask': HEX,
  'fanotify_mark_entry.s_dev': { dev: true },
  // Sockets
  'unix_sk_entry.type': { names: 'sk' },
  'unix_sk_entry.state': { names: 'sk' },
  'unix_sk_entry.flags': HEX,
  'unix_sk_entry.uflags': HEX,
  'unix_sk_entry.name': { quoted: true },
  'inet_sk_entry.family': { names: 'sk' },
  'inet_sk_entry.type': { names: 'sk' },
  'inet_sk_entry.proto': { names: 'sk' },
  'inet_sk_entry.state': { names: 'sk' },
  'inet_sk_entry.flags': HEX,
  'inet_sk_entry.src_addr': { ip: true },
  'inet_sk_entry.dst_addr': { ip: true },
  'netlink_sk_entry.flags': HEX,
  'packet_sock_entry.flags': HEX,
  'tcp_stream_entry.opt_mask': HEX,
};

export function fieldFormat(message: string, field: string): FieldFormat | undefined {
  return FIELD_FORMATS[`${message}.${field}`];
}

/**
 * Fields CRIU added after 3.17 that amber writes (Debian's crit 3.17 leaves them out of its
 * JSON), as in test/images/check_proto_facts.py. amber's own fields, numbered from
 * AMBER_FIELDS_FROM on, are unknown to every crit.
 */
export const NEWER_THAN_CRIT_317: ReadonlySet<string> = new Set([
  'creds_entry.no_new_privs',
  'sk_packet_entry.ucred',
  'sk_packet_entry.addr',
  'ip_opts_entry.pktinfo',
  'ip_opts_entry.tos',
  'ip_opts_entry.ttl',
  'memfd_inode_entry.mode',
]);
export const AMBER_FIELDS_FROM = 1000;

/** Whether Debian's crit 3.17 knows (and so prints) this field. */
export function crit317Knows(message: string, field: string, id: number): boolean {
  return id < AMBER_FIELDS_FROM && !NEWER_THAN_CRIT_317.has(`${message}.${field}`);
}
