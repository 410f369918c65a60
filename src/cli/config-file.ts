/**
 * CRIU's configuration files: one option per line, its long name without the dashes, then its
 * value if it takes one ("tcp-established", "log-file /var/log/criu.log", "ghost-limit 4M");
 * '#' starts a comment, double quotes hold a value with spaces. The files read are
 * /etc/criu/default.conf and ~/.criu/default.conf (unless --no-default-config, or a --config
 * FILE is given, which is read instead), then the file named by CRIU_CONFIG_FILE; the command
 * line comes last and wins.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../errors';

/** Splits one line into words: quotes group, '#' outside quotes ends the line, \" escapes. */
function words(line: string, where: string): string[] {
  const out: string[] = [];
  let cur = '', inQuote = false, have = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQuote) {
      if (c === '\\' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') inQuote = false; else cur += c;
      continue;
    }
    if (c === '#') break;
    if (c === '"') { inQuote = true; have = true; continue; }
    if (c === ' ' || c === '\t') {
      if (have) { out.push(cur); cur = ''; have = false; }
      continue;
    }
    cur += c; have = true;
  }
  if (inQuote) throw new UsageError(`${where}: unterminated quote`);
  if (have) out.push(cur);
  return out;
}

/** The options of a config file's text as command-line arguments ("--name", "value"...). */
export function configArgs(text: string, file: string): string[] {
  const args: string[] = [];
  text.split('\n').forEach((line, i) => {
    const w = words(line, `${file}:${i + 1}`);
    if (!w.length) return;
    const name = w[0].replace(/^--?/, '');
    if (w.length > 2) throw new UsageError(`${file}:${i + 1}: "${line.trim()}": one option and at most one value per line`);
    // --name=value, so that options whose value is optional take it too.
    args.push(w.length === 2 ? `--${name}=${w[1]}` : `--${name}`);
  });
  return args;
}

export interface ConfigSources {
  /** --config FILE from the command line, if any. */
  config?: string;
  noDefault: boolean;
  env: NodeJS.ProcessEnv;
}

/** The config files to read, in order. A --config file must exist; the others may be absent. */
export function configFiles(src: ConfigSources): { file: string; required: boolean }[] {
  const files: { file: string; required: boolean }[] = [];
  if (src.config !== undefined) files.push({ file: src.config, required: true });
  else if (!src.noDefault) {
    files.push({ file: '/etc/criu/default.conf', required: false });
    const home = src.env.HOME ?? os.homedir();
    if (home) files.push({ file: path.join(home, '.criu', 'default.conf'), required: false });
  }
  if (src.env.CRIU_CONFIG_FILE) files.push({ file: src.env.CRIU_CONFIG_FILE, required: false });
  return files;
}

/** Arguments of every config file that applies, in order. */
export function readConfigArgs(src: ConfigSources): string[] {
  const args: string[] = [];
  for (const { file, required } of configFiles(src)) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new UsageError(`cannot read config file ${file}: ${(e as Error).message}`);
    }
    args.push(...configArgs(text, file));
  }
  return args;
}
