/**
 * Every option of CRIU 4.x, for every subcommand, with what amber does with it. This one table
 * drives the parser (long and short forms, --opt=value and --opt value, --no-X for flags,
 * config files), --help and docs/options.md (scripts/gen-options-doc.js).
 *
 * support:
 *   yes          amber does what CRIU does with it;
 *   accepted     taken and harmless: what it asks for is already what amber does, or it tunes
 *                something amber does not have (the note says which);
 *   unsupported  a feature amber lacks: the option fails with "option --X: not supported yet"
 *                and exit 1 (never "unknown option"), unless it is negated (--no-X).
 */

export type Support = 'yes' | 'accepted' | 'unsupported';

export interface OptionSpec {
  long: string;
  short?: string;
  /** Name of the value, if the option takes one. */
  arg?: string;
  /** The value may be left out (--cpu-cap, --manage-cgroups): only --opt=value gives one. */
  optionalArg?: boolean;
  /** May be given more than once: every value is kept, in order. */
  repeatable?: boolean;
  help: string;
  /** Subcommands it applies to (for --help and the doc); all when absent. */
  commands?: readonly string[];
  support: Support;
  /** For accepted and unsupported options: why. */
  note?: string;
}

const DR = ['dump', 'restore'] as const;
const D = ['dump'] as const;
const R = ['restore'] as const;
const PD = ['dump', 'pre-dump'] as const;
const SRV = ['service', 'page-server', 'lazy-pages'] as const;
const NO_NS = 'amber does not carry namespaces yet';
const NO_CG = 'amber does not carry cgroups yet';
const NO_MIG = 'amber has no pre-dump, page server or lazy pages yet';
const NO_TLS = 'amber has no page server, so no TLS for it';

export const OPTIONS: readonly OptionSpec[] = [
  // Generic
  { long: 'tree', short: 't', arg: 'PID', help: 'root of the process tree to dump', commands: PD, support: 'yes' },
  { long: 'restore-detached', short: 'd', help: 'detach from the restored tree and exit 0 (page-server, service: run in the background)', commands: ['restore', ...SRV], support: 'yes' },
  { long: 'restore-sibling', short: 'S', help: 'restore the root task as a sibling of amber (a child of amber\'s parent, which reaps it); implies -d', commands: R, support: 'yes' },
  { long: 'leave-stopped', short: 's', help: 'leave the tasks stopped (SIGSTOP) after dump or restore', commands: DR, support: 'yes' },
  { long: 'leave-running', short: 'R', help: 'leave the tasks running after dump', commands: PD, support: 'yes' },
  { long: 'images-dir', short: 'D', arg: 'DIR', help: 'directory of the image files (created 0700)', support: 'yes' },
  { long: 'pidfile', arg: 'FILE', help: 'write the root task\'s (or the service\'s) pid into FILE', commands: ['restore', ...SRV], support: 'yes' },
  { long: 'work-dir', short: 'W', arg: 'DIR', help: 'directory for logs, pidfiles and stats (default: the images dir)', support: 'yes' },
  { long: 'cpu-cap', arg: 'CAP', optionalArg: true, help: 'CPU capabilities to write/check (cpu, fpu, all, ins, none)', commands: DR, support: 'accepted', note: 'amber writes no cpuinfo image; restore checks the xsave features the images need itself' },
  { long: 'exec-cmd', help: 'after restore, amber becomes the command given after -- (execvp), the parent of the restored tree; implies -d', commands: R, support: 'yes' },
  { long: 'freeze-cgroup', arg: 'PATH', help: 'freeze the tree with this cgroup freezer', commands: PD, support: 'unsupported', note: NO_CG },
  { long: 'weak-sysctls', help: 'skip sysctls this kernel lacks', commands: R, support: 'accepted', note: 'amber restores no sysctls (no namespaces yet)' },
  { long: 'lazy-pages', help: 'restore pages on demand (userfaultfd)', commands: DR, support: 'unsupported', note: NO_MIG },
  { long: 'stream', help: 'images through criu-image-streamer', commands: DR, support: 'unsupported', note: 'no image streamer support' },
  { long: 'mntns-compat-mode', help: 'the older mount namespace engine', commands: R, support: 'accepted', note: NO_NS },
  { long: 'network-lock', arg: 'METHOD', help: 'how TCP connections are kept quiet while frozen: nftables (default), iptables or skip', commands: DR, support: 'yes' },
  { long: 'unprivileged', help: 'run as a non-root user with CAP_CHECKPOINT_RESTORE', support: 'unsupported', note: 'amber runs as root' },
  { long: 'allow-uprobes', help: 'dump and restore a [uprobes] mapping', commands: DR, support: 'unsupported', note: 'amber does not carry uprobes' },
  // External resources
  { long: 'external', arg: 'RES', repeatable: true, help: 'an open file left to the caller: file[MNTID:INODE] or tty[RDEV:DEV]; restore needs --inherit-fd for it', commands: DR, support: 'yes' },
  { long: 'inherit-fd', arg: 'fd[N]:RES', repeatable: true, help: 'the file RES of the images is the caller\'s fd N (pipe:[INO], socket:[INO], file[MNTID:INODE], tty[RDEV:DEV], a path)', commands: R, support: 'yes' },
  // Special resources
  { long: 'ext-unix-sk', short: 'x', arg: 'INO', optionalArg: true, help: 'allow unix sockets whose peer is outside the tree; reconnect them by name', commands: DR, support: 'yes' },
  { long: 'tcp-established', help: 'carry established TCP connections (TCP repair)', commands: DR, support: 'yes' },
  { long: 'skip-in-flight', help: 'leave out TCP connections not yet accepted', commands: D, support: 'yes' },
  { long: 'tcp-close', help: 'restore established TCP connections closed', commands: DR, support: 'yes' },
  { long: 'root', short: 'r', arg: 'PATH', help: 'root file system of the restored tree', commands: R, support: 'unsupported', note: NO_NS },
  { long: 'evasive-devices', help: 'use any path to a device whose original path is gone', commands: R, support: 'unsupported', note: 'not implemented yet' },
  { long: 'image-checksums', help: 'amber only: write amber-checksums.json (SHA-256 of every image) after the dump; restore and check-images verify it', commands: D, support: 'yes' },
  { long: 'link-remap', help: 'keep an unlinked open file as a hard link instead of copying it into the images', commands: D, support: 'yes' },
  { long: 'ghost-limit', arg: 'SIZE', help: 'most bytes an unlinked open file may bring into the images (K/M/G; default 1M)', commands: D, support: 'yes' },
  { long: 'ghost-fiemap', help: 'dump unlinked files by their extents', commands: D, support: 'accepted', note: 'amber always skips holes (SEEK_DATA/SEEK_HOLE)' },
  { long: 'action-script', arg: 'FILE', repeatable: true, help: 'run FILE at each action point, with CRTOOLS_SCRIPT_ACTION and the others set', commands: DR, support: 'yes' },
  { long: 'shell-job', short: 'j', help: 'the tree runs on the caller\'s terminal (its session is outside the tree)', commands: DR, support: 'yes' },
  { long: 'file-locks', short: 'l', help: 'carry file locks; without it a held lock fails the dump', commands: DR, support: 'yes' },
  { long: 'libdir', short: 'L', arg: 'DIR', help: 'plugin directory', support: 'accepted', note: 'amber has no plugins: the directory is not read' },
  { long: 'timeout', arg: 'SECONDS', help: 'give up freezing the tree after this long, leaving it running (default 10)', commands: PD, support: 'yes' },
  { long: 'force-irmap', help: 'resolve the paths of inotify watches', commands: D, support: 'accepted', note: 'amber finds watched inodes by file handle and always records them' },
  { long: 'irmap-scan-path', arg: 'PATH', repeatable: true, help: 'where to look for inotify watch paths', commands: D, support: 'accepted', note: 'amber finds watched inodes by file handle' },
  { long: 'manage-cgroups', arg: 'MODE', optionalArg: true, help: 'cgroups of the tree: none, props, soft, full, strict or ignore', commands: DR, support: 'yes', note: 'only none and ignore: other modes are refused (no cgroups yet)' },
  { long: 'cgroup-root', arg: '[CTRL:]/ROOT', repeatable: true, help: 'cgroup root of a controller', commands: DR, support: 'unsupported', note: NO_CG },
  { long: 'cgroup-props', arg: 'STRING', help: 'cgroup properties to carry', commands: D, support: 'unsupported', note: NO_CG },
  { long: 'cgroup-props-file', arg: 'FILE', help: 'cgroup properties to carry, from a file', commands: D, support: 'unsupported', note: NO_CG },
  { long: 'cgroup-dump-controller', arg: 'NAME', repeatable: true, help: 'dump only this cgroup controller', commands: D, support: 'unsupported', note: NO_CG },
  { long: 'cgroup-yard', arg: 'PATH', help: 'a prepared cgroup yard', commands: DR, support: 'unsupported', note: NO_CG },
  { long: 'lsm-profile', arg: 'TYPE:NAME', help: 'LSM profile of the restored tasks', commands: R, support: 'unsupported', note: 'amber does not carry LSM profiles yet' },
  { long: 'lsm-mount-context', arg: 'CTX', help: 'mount context of restored mounts', commands: R, support: 'unsupported', note: NO_NS },
  { long: 'skip-mnt', arg: 'PATH', repeatable: true, help: 'leave this mount out of the mount namespace', commands: D, support: 'unsupported', note: NO_NS },
  { long: 'enable-fs', arg: 'FSNAMES', help: 'dump mounts of these file systems anyway', commands: D, support: 'unsupported', note: NO_NS },
  { long: 'ext-mount-map', short: 'M', arg: 'KEY:VALUE', repeatable: true, help: 'an external mount', commands: DR, support: 'unsupported', note: NO_NS },
  { long: 'enable-external-sharing', help: 'allow external shared mounts', commands: DR, support: 'unsupported', note: NO_NS },
  { long: 'enable-external-masters', help: 'allow external master mounts', commands: DR, support: 'unsupported', note: NO_NS },
  { long: 'empty-ns', arg: 'net', help: 'make the namespace but do not restore its contents', commands: R, support: 'unsupported', note: NO_NS },
  { long: 'join-ns', short: 'J', arg: 'NS:PID|FILE', repeatable: true, help: 'restore into an existing namespace', commands: R, support: 'unsupported', note: NO_NS },
  { long: 'veth-pair', arg: 'IN=OUT', repeatable: true, help: 'a veth pair of the network namespace', commands: R, support: 'unsupported', note: NO_NS },
  { long: 'file-validation', arg: 'METHOD', help: 'how restore checks that files are the dumped ones: filesize or buildid', commands: R, support: 'accepted', note: 'amber always checks size and mode' },
  { long: 'skip-file-rwx-check', help: 'do not check file permissions at restore', commands: R, support: 'unsupported', note: 'not implemented yet' },
  { long: 'orphan-pts-master', help: 'hand the master of a pty outside the tree to the RPC client', commands: R, support: 'unsupported', note: 'not implemented yet' },
  { long: 'check-only', help: 'check that dump or restore would work, without doing it', commands: DR, support: 'unsupported', note: 'not implemented yet' },
  { long: 'deprecated', help: 'allow deprecated features', support: 'accepted', note: 'amber has none' },
  { long: 'display-stats', help: 'print dump/restore statistics at the end', commands: DR, support: 'yes' },
  // Memory dumping
  { long: 'track-mem', help: 'turn on the kernel\'s memory change tracking', commands: PD, support: 'unsupported', note: NO_MIG },
  { long: 'prev-images-dir', arg: 'DIR', help: 'images of the previous dump (relative to -D)', commands: PD, support: 'unsupported', note: NO_MIG },
  { long: 'page-server', help: 'send pages to a page server', commands: PD, support: 'unsupported', note: NO_MIG },
  { long: 'auto-dedup', help: 'deduplicate pages against the previous dump', commands: DR, support: 'unsupported', note: NO_MIG },
  { long: 'pre-dump-mode', arg: 'MODE', help: 'splice or read', commands: PD, support: 'accepted', note: 'amber reads pages with process_vm_readv; it has no pre-dump yet, so the mode changes nothing' },
  // Page server and service
  { long: 'address', arg: 'ADDR', help: 'address of the service or page server', commands: [...SRV, ...PD], support: 'yes' },
  { long: 'port', arg: 'PORT', help: 'port of the page server', commands: [...SRV, ...PD], support: 'unsupported', note: NO_MIG },
  { long: 'ps-socket', arg: 'FD', help: 'an open socket to the page server', commands: [...SRV, ...PD], support: 'unsupported', note: NO_MIG },
  { long: 'daemon', help: 'run in the background once the socket is made', commands: SRV, support: 'yes' },
  { long: 'status-fd', arg: 'FD', help: 'write one zero byte to FD and close it once ready', commands: ['restore', ...SRV], support: 'yes' },
  { long: 'tls-cacert', arg: 'FILE', help: 'trust only certificates signed by this CA', support: 'unsupported', note: NO_TLS },
  { long: 'tls-cacrl', arg: 'FILE', help: 'certificate revocation list', support: 'unsupported', note: NO_TLS },
  { long: 'tls-cert', arg: 'FILE', help: 'TLS certificate', support: 'unsupported', note: NO_TLS },
  { long: 'tls-key', arg: 'FILE', help: 'TLS private key', support: 'unsupported', note: NO_TLS },
  { long: 'tls', help: 'secure the page server connection with TLS', support: 'unsupported', note: NO_TLS },
  { long: 'tls-no-cn-verify', help: 'do not verify the server certificate\'s common name', support: 'unsupported', note: NO_TLS },
  // Logging
  { long: 'log-file', short: 'o', arg: 'FILE', help: 'log file, relative to the work dir unless absolute ("-": stderr)', support: 'yes' },
  { long: 'log-pid', help: 'one log file per process', support: 'accepted', note: 'one amber process does all the work: its log is the one file' },
  { long: 'verbosity', short: 'v', arg: 'N', help: 'log level 0-4 (-v alone: one more than the default 2; -vv...)', support: 'yes' },
  // Configuration
  { long: 'config', arg: 'FILE', help: 'read options from FILE (CRIU\'s syntax)', support: 'yes' },
  { long: 'no-default-config', help: 'do not read /etc/criu/default.conf and ~/.criu/default.conf', support: 'yes' },
  // check
  { long: 'feature', arg: 'NAME', help: 'check one kernel feature; the exit code answers', commands: ['check'], support: 'yes' },
  { long: 'extra', help: 'check extra kernel features too', commands: ['check'], support: 'yes' },
  { long: 'experimental', help: 'check experimental kernel features too', commands: ['check'], support: 'yes' },
  { long: 'all', help: 'same as --extra --experimental', commands: ['check'], support: 'yes' },
  { long: 'ms', help: 'check only what a non-root user could (deprecated)', commands: ['check'], support: 'accepted', note: 'deprecated in CRIU: same as plain check' },
  // Other
  { long: 'help', short: 'h', help: 'show this help', support: 'yes' },
  { long: 'version', short: 'V', help: 'show the version', support: 'yes' },
];

/** Subcommands, with what amber does with them. */
export const COMMANDS: readonly { name: string; help: string; support: Support; note?: string }[] = [
  { name: 'dump', help: 'checkpoint a process tree', support: 'yes' },
  { name: 'pre-dump', help: 'dump memory while the tree runs, for a later dump', support: 'unsupported', note: NO_MIG },
  { name: 'restore', help: 'restore a process tree', support: 'yes' },
  { name: 'check', help: 'check the kernel for what amber needs', support: 'yes' },
  { name: 'swrk', help: 'serve CRIU\'s RPC on an inherited socket (used by runc, crun, go-criu, pycriu)', support: 'yes' },
  { name: 'service', help: 'serve CRIU\'s RPC on a unix socket', support: 'yes' },
  { name: 'check-images', help: 'amber only: verify an images directory (-D) against its amber-checksums.json and read every image', support: 'yes' },
  { name: 'crit', help: 'decode, encode and explore images (CRIU\'s crit)', support: 'yes' },
  { name: 'page-server', help: 'receive pages of a dump over the network', support: 'unsupported', note: NO_MIG },
  { name: 'lazy-pages', help: 'serve pages of a lazy restore', support: 'unsupported', note: NO_MIG },
  { name: 'dedup', help: 'deduplicate pages against a parent dump', support: 'unsupported', note: NO_MIG },
  { name: 'cpuinfo', help: 'dump or check CPU information', support: 'unsupported', note: 'amber writes no cpuinfo image' },
];

export function findLong(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.long === name);
}

export function findShort(c: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.short === c);
}
