/**
 * CRIU's command-line options, declared once: parsing and --help both come from this table.
 */
import { UsageError } from '../errors';

export interface OptionSpec {
  long: string;
  short?: string;
  arg?: string; // name of the value, if the option takes one
  help: string;
  commands?: string[]; // where it applies (for --help); all when absent
  /** May be given more than once: every value is kept, in order, in ParsedArgs.lists. */
  repeatable?: boolean;
}

export const OPTIONS: OptionSpec[] = [
  { long: 'tree', short: 't', arg: 'PID', help: 'root of the process tree to dump', commands: ['dump', 'pre-dump'] },
  { long: 'images-dir', short: 'D', arg: 'DIR', help: 'directory for the image files (created 0700)' },
  { long: 'work-dir', short: 'W', arg: 'DIR', help: 'directory for logs and other work files (default: the images dir)' },
  { long: 'log-file', short: 'o', arg: 'FILE', help: 'log file, relative to the work dir unless absolute ("-" for stderr)' },
  { long: 'verbosity', short: 'v', arg: 'N', help: 'log level: -v0 nothing .. -v4 debug (-v alone: 4); default 2' },
  { long: 'leave-running', short: 'R', help: 'leave the tasks running after dump', commands: ['dump'] },
  { long: 'restore-detached', short: 'd', help: 'detach from the restored tree and exit 0', commands: ['restore'] },
  { long: 'pidfile', arg: 'FILE', help: 'write the root task\'s PID into FILE', commands: ['restore'] },
  { long: 'shell-job', short: 'j', help: 'the tree runs on the caller\'s terminal (its session is outside the tree)' },
  { long: 'file-locks', short: 'l', help: 'carry file locks (flock, POSIX, OFD, leases); without it a held lock fails the dump', commands: ['dump', 'restore'] },
  { long: 'tcp-established', help: 'carry established TCP connections (TCP repair)', commands: ['dump', 'restore'] },
  { long: 'tcp-close', help: 'restore established TCP connections closed', commands: ['restore'] },
  { long: 'skip-in-flight', help: 'leave out TCP connections not yet accepted', commands: ['dump'] },
  { long: 'ext-unix-sk', help: 'allow unix sockets whose peer is outside the tree; reconnect them by name', commands: ['dump', 'restore'] },
  { long: 'network-lock', arg: 'METHOD', help: 'how TCP connections are locked while frozen: nftables (default), iptables or skip', commands: ['dump', 'restore'] },
  { long: 'ghost-limit', arg: 'SIZE', help: 'most bytes of data an unlinked open file may bring into the images (K/M/G suffixes; default 1M)', commands: ['dump'] },
  { long: 'inherit-fd', arg: 'fd[N]:RES', repeatable: true, help: 'the file RES of the images is the caller\'s fd N (RES: pipe:[INO], socket:[INO], a path as dumped, file[MNTID:INODE], tty[RDEV:DEV]); repeatable', commands: ['restore'] },
  { long: 'external', arg: 'RES', repeatable: true, help: 'an open file left to the caller: file[MNTID:INODE] or tty[RDEV:DEV] (hex, as CRIU); restore needs --inherit-fd for it; repeatable', commands: ['dump'] },
  { long: 'feature', arg: 'NAME', help: 'check one kernel feature; the exit code answers', commands: ['check'] },
  { long: 'help', short: 'h', help: 'show this help' },
  { long: 'version', short: 'V', help: 'show the version' },
];

/** A size as CRIU takes it: a number of bytes, with an optional K, M or G suffix (powers of 1024). */
export function parseSize(option: string, text: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(text.trim());
  if (!m) throw new UsageError(`bad size for --${option}: ${text} (bytes, or with a K, M or G suffix)`);
  const shift = { '': 0, K: 10, M: 20, G: 30 }[m[2].toUpperCase() as '' | 'K' | 'M' | 'G'];
  const value = Number(m[1]) * 2 ** shift;
  if (!Number.isSafeInteger(value)) throw new UsageError(`size for --${option} is too large: ${text}`);
  return value;
}

export interface ParsedArgs {
  command?: string;
  /** Every option given, with its (last) value. */
  opts: Map<string, string | true>;
  /** The values of repeatable options, in the order given. */
  lists: Map<string, string[]>;
  rest: string[];
}

/** All the values of a repeatable option (none: empty). */
export function optionValues(args: ParsedArgs, name: string): string[] {
  return args.lists.get(name) ?? [];
}

export function parseArgs(argv: string[]): ParsedArgs {
  const opts = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const rest: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let spec: OptionSpec | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      spec = OPTIONS.find((o) => o.long === name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
      if (eq >= 0) value = a.slice(eq + 1);
    } else if (a.startsWith('-') && a.length > 1) {
      // -v4 style (value glued to a short option) and -v alone (CRIU: more verbose).
      spec = OPTIONS.find((o) => o.short === a[1]);
      if (!spec) throw new UsageError(`unknown option ${a}`);
      if (a.length > 2) value = a.slice(2);
      else if (spec.long === 'verbosity') value = '4';
    } else {
      if (command === undefined) command = a;
      else rest.push(a);
      continue;
    }
    if (spec.arg) {
      if (value === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`option --${spec.long} needs ${spec.arg}`);
        value = argv[++i];
      }
      opts.set(spec.long, value);
      if (spec.repeatable) {
        const list = lists.get(spec.long) ?? [];
        list.push(value);
        lists.set(spec.long, list);
      }
    } else {
      if (value !== undefined) throw new UsageError(`option --${spec.long} takes no value`);
      opts.set(spec.long, true);
    }
  }
  return { command, opts, lists, rest };
}

export function helpText(version: string): string {
  const lines = [
    `amber ${version}: checkpoint/restore of Linux process trees, with CRIU's images and options`,
    '',
    'Usage:',
    '  amber dump -t PID -D DIR [-R] [-j] [--external RES ...] [-o LOG] [-vN]',
    '  amber restore -D DIR [-d] [--pidfile FILE] [-j] [--inherit-fd fd[N]:RES ...] [-o LOG] [-vN]',
    '  amber check [--feature NAME]',
    '',
    'Options:',
  ];
  for (const o of OPTIONS) {
    const names = `${o.short ? `-${o.short}, ` : '    '}--${o.long}${o.arg ? ` ${o.arg}` : ''}`;
    lines.push(`  ${names.padEnd(30)} ${o.help}`);
  }
  lines.push('', 'Exit codes: 0 success, 1 failure (as CRIU).');
  return lines.join('\n');
}
