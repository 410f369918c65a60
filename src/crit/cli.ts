/**
 * amber crit: CRIU's image tool's command line, on amber's image layer.
 *
 *   decode [--pretty] [-i IN] [-o OUT]   image -> JSON (stdin/stdout by default)
 *   encode [-i IN] [-o OUT]              JSON -> image
 *   show IN [--nopl]                     decode --pretty of a file (--nopl: payload sizes only)
 *   info IN                              magic and entry count
 *   x DIR ps|fds|mems|rss                explore a dump directory
 */
import * as fs from 'node:fs';
import { CritError, UnknownMagicError, decodeImageJson, encodeImageJson, imageInfo } from './codec';
import { EXPLORERS, type ExplorerName, explore } from './explore';
import { JsonSyntaxError, parse, stringify } from './json';

const PROG = 'amber crit';

interface OptSpec {
  long: string;
  short?: string;
  /** Takes a value (else a flag). */
  value?: boolean;
  help: string;
}

interface CommandSpec {
  help: string;
  opts: OptSpec[];
  positionals: { name: string; help: string; choices?: string[] }[];
}

const COMMANDS: Record<string, CommandSpec> = {
  decode: {
    help: 'convert criu image from binary type to json',
    opts: [
      { long: 'pretty', help: 'Multiline with indents and some numerical fields in field-specific format' },
      { long: 'in', short: 'i', value: true, help: 'criu image in binary format to be decoded (stdin by default)' },
      { long: 'out', short: 'o', value: true, help: 'where to put criu image in json format (stdout by default)' },
    ],
    positionals: [],
  },
  encode: {
    help: 'convert criu image from json type to binary',
    opts: [
      { long: 'in', short: 'i', value: true, help: 'criu image in json format to be encoded (stdin by default)' },
      { long: 'out', short: 'o', value: true, help: 'where to put criu image in binary format (stdout by default)' },
    ],
    positionals: [],
  },
  info: { help: 'show info about image', opts: [], positionals: [{ name: 'in', help: 'criu image' }] },
  x: {
    help: 'explore image dir',
    opts: [],
    positionals: [
      { name: 'dir', help: 'dump directory' },
      { name: 'what', help: 'what to show', choices: Object.keys(EXPLORERS) },
    ],
  },
  show: {
    help: 'convert criu image from binary to human-readable json',
    opts: [{ long: 'nopl', help: 'do not show entry payload (if exists)' }],
    positionals: [{ name: 'in', help: 'criu image' }],
  },
};

class ArgError extends Error {
  constructor(message: string, readonly usage: string, readonly status = 2) {
    super(message);
  }
}

function commandUsage(name: string, spec: CommandSpec): string {
  const parts = [`usage: ${PROG} ${name} [-h]`];
  for (const o of spec.opts) {
    const flag = o.short ? `-${o.short}` : `--${o.long}`;
    parts.push(o.value ? `[${flag} ${o.long.toUpperCase()}]` : `[${flag}]`);
  }
  for (const p of spec.positionals) parts.push(p.choices ? `{${p.choices.join(',')}}` : p.name);
  return parts.join(' ') + '\n';
}

const TOP_USAGE = `usage: ${PROG} [-h] {${Object.keys(COMMANDS).join(',')}} ...\n`;

function topHelp(): string {
  const lines = [TOP_USAGE, 'CRiu Image Tool (amber)', '', 'positional arguments:', `  {${Object.keys(COMMANDS).join(',')}}`, '                        Use crit CMD --help for command-specific help'];
  for (const [name, spec] of Object.entries(COMMANDS)) lines.push(`    ${name.padEnd(20)}${spec.help}`);
  lines.push('', 'options:', '  -h, --help            show this help message and exit', '');
  return lines.join('\n');
}

function commandHelp(name: string, spec: CommandSpec): string {
  const lines = [commandUsage(name, spec)];
  if (spec.positionals.length) {
    lines.push('positional arguments:');
    for (const p of spec.positionals) lines.push(`  ${(p.choices ? `{${p.choices.join(',')}}` : p.name).padEnd(22)}${p.help}`);
    lines.push('');
  }
  lines.push('options:', '  -h, --help            show this help message and exit');
  for (const o of spec.opts) {
    const flags = [o.short ? `-${o.short}${o.value ? ` ${o.long.toUpperCase()}` : ''}` : undefined, `--${o.long}${o.value ? ` ${o.long.toUpperCase()}` : ''}`].filter(Boolean).join(', ');
    lines.push(`  ${flags.padEnd(22)}${o.help}`);
  }
  return lines.join('\n') + '\n';
}

interface Parsed {
  command: string;
  opts: Map<string, string | true>;
  positionals: string[];
  help?: string;
}

function parseCommand(argv: string[]): Parsed {
  if (argv.length === 0) throw new ArgError('too few arguments', TOP_USAGE, 1); // crit's own check, exit 1
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help') return { command: '', opts: new Map(), positionals: [], help: topHelp() };
  const spec = COMMANDS[first];
  if (!spec) throw new ArgError(`argument command: invalid choice: '${first}' (choose from ${Object.keys(COMMANDS).map((c) => `'${c}'`).join(', ')})`, TOP_USAGE);
  const usage = commandUsage(first, spec);
  const opts = new Map<string, string | true>();
  const positionals: string[] = [];
  let onlyPositionals = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (onlyPositionals || a === '-' || !a.startsWith('-')) {
      positionals.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositionals = true;
      continue;
    }
    if (a === '-h' || a === '--help') return { command: first, opts, positionals, help: commandHelp(first, spec) };
    let opt: OptSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) inline = a.slice(eq + 1);
      const exact = spec.opts.find((o) => o.long === name);
      const prefixed = spec.opts.filter((o) => o.long.startsWith(name));
      if (exact) opt = exact;
      else if (prefixed.length === 1 && name.length > 0) opt = prefixed[0];
      else if (prefixed.length > 1) throw new ArgError(`ambiguous option: --${name} could match ${prefixed.map((o) => `--${o.long}`).join(', ')}`, usage);
    } else {
      opt = spec.opts.find((o) => o.short === a[1]);
      if (opt && a.length > 2) inline = a.slice(2).replace(/^=/, '');
    }
    if (!opt) throw new ArgError(`unrecognized arguments: ${a}`, usage);
    if (opt.value) {
      let v = inline;
      if (v === undefined) {
        v = rest[++i];
        if (v === undefined || (v.startsWith('-') && v !== '-')) throw new ArgError(`argument -${opt.short ? opt.short + '/--' : '-'}${opt.long}: expected one argument`, usage);
      }
      opts.set(opt.long, v);
    } else {
      if (inline !== undefined) throw new ArgError(`argument --${opt.long}: ignored explicit argument '${inline}'`, usage);
      opts.set(opt.long, true);
    }
  }
  if (positionals.length < spec.positionals.length) {
    throw new ArgError(`the following arguments are required: ${spec.positionals.slice(positionals.length).map((p) => p.name).join(', ')}`, usage);
  }
  if (positionals.length > spec.positionals.length) throw new ArgError(`unrecognized arguments: ${positionals.slice(spec.positionals.length).join(' ')}`, usage);
  spec.positionals.forEach((p, i) => {
    if (p.choices && !p.choices.includes(positionals[i])) {
      throw new ArgError(`argument ${p.name}: invalid choice: '${positionals[i]}' (choose from ${p.choices.map((c) => `'${c}'`).join(', ')})`, usage);
    }
  });
  return { command: first, opts, positionals };
}

export interface CritIO {
  stdout(data: string | Buffer): void;
  stderr(text: string): void;
  stdin(): Buffer;
}

const processIO: CritIO = {
  stdout: (d) => {
    process.stdout.write(d);
  },
  stderr: (t) => {
    process.stderr.write(t);
  },
  stdin: () => fs.readFileSync(0),
};

function readInput(file: string | true | undefined, io: CritIO): Buffer {
  if (typeof file !== 'string' || file === '-') return io.stdin();
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new CritError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function writeOutput(file: string | true | undefined, data: string | Buffer): void {
  if (typeof file !== 'string') throw new Error('no output file');
  try {
    fs.writeFileSync(file, data);
  } catch (e) {
    throw new CritError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function decodeText(data: Buffer, pretty: boolean, noPayload: boolean): string {
  return stringify(decodeImageJson(data, { pretty, noPayload }), pretty ? 4 : undefined);
}

/** Runs `amber crit ARGS...`; the exit status. */
export function critMain(argv: string[], io: CritIO = processIO): number {
  let parsed: Parsed;
  try {
    parsed = parseCommand(argv);
  } catch (e) {
    if (!(e instanceof ArgError)) throw e;
    io.stderr(`${e.usage}${PROG}: error: ${e.message}\n`);
    return e.status;
  }
  if (parsed.help !== undefined) {
    io.stdout(parsed.help);
    return 0;
  }
  const { command, opts, positionals } = parsed;
  try {
    switch (command) {
      case 'decode':
      case 'show': {
        const pretty = command === 'show' || opts.has('pretty');
        const input = command === 'show' ? positionals[0] : opts.get('in');
        const text = decodeText(readInput(input, io), pretty, opts.has('nopl'));
        const out = command === 'decode' ? opts.get('out') : undefined;
        if (typeof out === 'string') writeOutput(out, text);
        else io.stdout(text + '\n');
        return 0;
      }
      case 'encode': {
        const input = readInput(opts.get('in'), io);
        let json;
        try {
          json = parse(input.toString('utf8'));
        } catch (e) {
          if (e instanceof JsonSyntaxError) throw new CritError(`Cannot read JSON: ${e.message}`);
          throw e;
        }
        const image = encodeImageJson(json);
        const out = opts.get('out');
        if (typeof out === 'string') writeOutput(out, image);
        else io.stdout(image);
        return 0;
      }
      case 'info': {
        io.stdout(stringify(imageInfo(readInput(positionals[0], io)), 4) + '\n');
        return 0;
      }
      case 'x': {
        try {
          io.stdout(explore(positionals[0], positionals[1] as ExplorerName));
        } catch (e) {
          const partial = (e as { partial?: string }).partial;
          if (partial) io.stdout(partial);
          throw e;
        }
        return 0;
      }
    }
    throw new Error(`unhandled command ${command}`);
  } catch (e) {
    if (e instanceof UnknownMagicError) {
      io.stderr(e.message + '\n');
      return 1;
    }
    if (e instanceof CritError) {
      io.stderr(`${PROG}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
