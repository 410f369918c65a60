/**
 * The command line as CRIU parses it, over the one option table (option-table.ts): long options
 * with --opt=value or --opt value, short ones glued (-v4, -D/dir) or apart, bundled flags (-Rj),
 * --no-X to negate a flag, -v repeated, config files first (config-file.ts), and everything
 * after "--" kept for --exec-cmd.
 */
import { UsageError } from '../errors';
import { COMMANDS, findLong, findShort, OPTIONS, OptionSpec } from './option-table';
import { readConfigArgs } from './config-file';

export { OPTIONS, type OptionSpec } from './option-table';

/** CRIU's default log level (warnings and errors). */
export const DEFAULT_VERBOSITY = 2;

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
  /** Every option given (and not negated afterwards), with its last value; true for flags. */
  opts: Map<string, string | true>;
  /** The values of repeatable options, in the order given (config files first). */
  lists: Map<string, string[]>;
  /** Positional arguments after the command. */
  rest: string[];
  /** What came after "--" (the --exec-cmd command). */
  afterDashes: string[];
}

/** All the values of a repeatable option (none: empty). */
export function optionValues(args: ParsedArgs, name: string): string[] {
  return args.lists.get(name) ?? [];
}

export interface ParseOptions {
  /** Read CRIU's config files (default: yes; tests turn it off). */
  configFiles?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** The command line, after the config files that apply to it. */
export function parseArgs(argv: string[], o: ParseOptions = {}): ParsedArgs {
  const cli = parseArgv(argv);
  if (o.configFiles === false) return checked(cli);
  const fromFiles = readConfigArgs({
    config: cli.opts.get('config') as string | undefined,
    noDefault: cli.opts.has('no-default-config'),
    env: o.env ?? process.env,
  });
  if (!fromFiles.length) return checked(cli);
  // Files first, the command line after: a later value wins, negations included.
  return checked(parseArgv([...fromFiles, ...argv]));
}

/** Options for features amber lacks fail here, by name, never as unknown. */
function checked(a: ParsedArgs): ParsedArgs {
  for (const name of a.opts.keys()) {
    const spec = findLong(name)!;
    if (spec.support === 'unsupported') throw new UsageError(`option --${name}: not supported yet (${spec.note ?? 'amber lacks it'})`);
  }
  const mode = a.opts.get('manage-cgroups');
  if (typeof mode === 'string' && !['none', 'ignore'].includes(mode)) {
    throw new UsageError(`option --manage-cgroups=${mode}: not supported yet (amber does not carry cgroups yet; none and ignore are)`);
  }
  const cmd = COMMANDS.find((c) => c.name === a.command);
  if (cmd?.support === 'unsupported') throw new UsageError(`command ${cmd.name}: not supported yet (${cmd.note})`);
  return a;
}

function set(a: ParsedArgs, spec: OptionSpec, value: string | true): void {
  a.opts.set(spec.long, value);
  if (spec.repeatable && typeof value === 'string') {
    const list = a.lists.get(spec.long) ?? [];
    list.push(value);
    a.lists.set(spec.long, list);
  }
}

/** -v alone is one more than the default, -vv two more...; -vN and --verbosity=N set N. */
function verbosity(a: ParsedArgs, value: string | undefined): void {
  const spec = findLong('verbosity')!;
  if (value === undefined || /^v*$/.test(value)) {
    const prev = a.opts.get('verbosity');
    const base = typeof prev === 'string' ? Number(prev) : DEFAULT_VERBOSITY;
    set(a, spec, String(Math.min(4, base + 1 + (value?.length ?? 0))));
  } else {
    set(a, spec, value);
  }
}

function parseArgv(argv: string[]): ParsedArgs {
  const a: ParsedArgs = { opts: new Map(), lists: new Map(), rest: [], afterDashes: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      a.afterDashes = argv.slice(i + 1);
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      let value = eq < 0 ? undefined : arg.slice(eq + 1);
      let spec = findLong(name);
      if (!spec && name.startsWith('no-')) {
        // --no-X negates a flag (and any value option given before, as CRIU's BOOL_OPT does).
        const negated = findLong(name.slice(3));
        if (negated && !negated.arg) {
          if (value !== undefined) throw new UsageError(`option --${name} takes no value`);
          a.opts.delete(negated.long);
          continue;
        }
      }
      if (!spec) throw new UsageError(`unknown option --${name}`);
      if (spec.long === 'verbosity') { verbosity(a, value); continue; }
      if (!spec.arg) {
        if (value !== undefined) throw new UsageError(`option --${spec.long} takes no value`);
        set(a, spec, true);
        continue;
      }
      if (value === undefined && !spec.optionalArg) {
        if (i + 1 >= argv.length) throw new UsageError(`option --${spec.long} needs ${spec.arg}`);
        value = argv[++i];
      }
      set(a, spec, value ?? true);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short options: flags may be bundled; one that takes a value takes the rest.
      for (let j = 1; j < arg.length; j++) {
        const spec = findShort(arg[j]);
        if (!spec) throw new UsageError(`unknown option -${arg[j]}${arg.length > 2 ? ` (in ${arg})` : ''}`);
        const glued = arg.slice(j + 1);
        if (spec.long === 'verbosity') { verbosity(a, glued || undefined); break; }
        if (!spec.arg) { set(a, spec, true); continue; }
        if (glued) { set(a, spec, glued); break; }
        if (spec.optionalArg) { set(a, spec, true); break; }
        if (i + 1 >= argv.length) throw new UsageError(`option --${spec.long} needs ${spec.arg}`);
        set(a, spec, argv[++i]);
        break;
      }
      continue;
    }
    if (a.command === undefined) a.command = arg;
    else a.rest.push(arg);
  }
  return a;
}

export function helpText(version: string): string {
  const lines = [
    `amber ${version}: checkpoint/restore of Linux process trees, with CRIU's images, options and RPC`,
    '',
    'Usage:',
    '  amber dump -t PID -D DIR [-R] [-j] [--external RES ...] [-o LOG] [-vN]',
    '  amber restore -D DIR [-d] [--pidfile FILE] [-j] [--inherit-fd fd[N]:RES ...] [-o LOG] [-vN]',
    '  amber check [--feature NAME | --extra | --experimental | --all]',
    '  amber swrk FD | amber service --address PATH',
    '  amber crit decode|encode|info|show|x ...',
    '',
    'Commands:',
  ];
  for (const c of COMMANDS) lines.push(`  ${c.name.padEnd(14)} ${c.help}${c.support === 'unsupported' ? ' (not supported yet)' : ''}`);
  lines.push('', 'Options (flags can be negated with --no-):');
  for (const o of OPTIONS) {
    const value = o.arg ? (o.optionalArg ? `[=${o.arg}]` : ` ${o.arg}`) : '';
    const names = `${o.short ? `-${o.short}, ` : '    '}--${o.long}${value}`;
    const mark = o.support === 'unsupported' ? ' (not supported yet)' : o.support === 'accepted' ? ' (accepted, no effect)' : '';
    lines.push(`  ${names.padEnd(34)} ${o.help}${mark}`);
  }
  lines.push('', 'Configuration: /etc/criu/default.conf, ~/.criu/default.conf, $CRIU_CONFIG_FILE, --config FILE.');
  lines.push('Exit codes: 0 success, 1 failure (as CRIU); without -d, restore exits with the tree\'s own code.');
  return lines.join('\n');
}
