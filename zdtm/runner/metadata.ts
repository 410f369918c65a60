/**
 * Loads the test list from zdtm/static: each NAME.json describes a test whose program is
 * NAME (built from NAME.c by `make -C zdtm`) or NAME.ts (run as `node dist/.../NAME.js`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MetadataError } from './errors';
import { compiledPath, defaultStaticDir } from './paths';

export const KNOWN_FLAGS = ['root', 'excl', 'crfail', 'noauto', 'transition'] as const;
export type TestFlag = (typeof KNOWN_FLAGS)[number];

/** 'c': an executable built from NAME.c (or any executable NAME); 'ts': a Node program. */
export type ProgramKind = 'c' | 'ts';

export interface TestMeta {
  name: string;
  desc: string;
  flags: TestFlag[];
  dumpOpts: string[];
  restoreOpts: string[];
  /** `amber check --feature F` must succeed for each, or the test is skipped. */
  feature: string[];
  /** crfail only: a pattern the failed dump's error must match (the refusal the test is for). */
  refusal?: RegExp;
  /** Seconds allowed for each step of this test; raises --timeout, never lowers it. */
  timeout?: number;
  kind: ProgramKind;
  /** argv[0..] that starts the program, before --pidfile/--outfile. */
  command: string[];
  /** The file that must exist for the test to run (binary or compiled JS). */
  programFile: string;
}

export function hasFlag(meta: TestMeta, flag: TestFlag): boolean {
  return meta.flags.includes(flag);
}

function stringList(file: string, raw: Record<string, unknown>, key: string): string[] {
  const v = raw[key];
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new MetadataError(file, `"${key}" must be an array of strings`);
  }
  return v as string[];
}

/** Checks one metadata object; `name` and the program come from the file name. */
export function parseMeta(file: string, text: string, kind: ProgramKind, command: string[], programFile: string): TestMeta {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new MetadataError(file, `not JSON: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new MetadataError(file, 'must hold an object');
  const obj = raw as Record<string, unknown>;
  const flags = stringList(file, obj, 'flags');
  const unknown = flags.filter((f) => !(KNOWN_FLAGS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new MetadataError(file, `unknown flag(s) ${unknown.join(', ')}; known: ${KNOWN_FLAGS.join(', ')}`);
  if (obj.desc !== undefined && typeof obj.desc !== 'string') throw new MetadataError(file, '"desc" must be a string');
  const timeout = obj.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    throw new MetadataError(file, '"timeout" must be a positive number of seconds');
  }
  // A crfail test that accepted any failure would pass on a crash or on a refusal of something
  // else: each names the refusal it is there for.
  let refusal: RegExp | undefined;
  if (obj.refusal !== undefined) {
    if (typeof obj.refusal !== 'string') throw new MetadataError(file, '"refusal" must be a string (a regular expression)');
    try { refusal = new RegExp(obj.refusal); } catch (e) { throw new MetadataError(file, `"refusal" is not a regular expression: ${(e as Error).message}`); }
  }
  if (flags.includes('crfail') !== (refusal !== undefined)) throw new MetadataError(file, '"refusal" (the error the dump must fail with) goes with the crfail flag, and only with it');
  return {
    name: path.basename(file, '.json'),
    desc: (obj.desc as string | undefined) ?? '',
    flags: flags as TestFlag[],
    dumpOpts: stringList(file, obj, 'dumpOpts'),
    restoreOpts: stringList(file, obj, 'restoreOpts'),
    feature: stringList(file, obj, 'feature'),
    refusal,
    timeout: timeout as number | undefined,
    kind,
    command,
    programFile,
  };
}

/** Every test described in dir, sorted by name. A NAME.json without NAME.c or NAME.ts is a 'c' test. */
export function loadTests(staticDir: string = defaultStaticDir): TestMeta[] {
  const dir = path.resolve(staticDir);
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (e) {
    throw new MetadataError(dir, `cannot read the test folder: ${(e as Error).message}`);
  }
  const tests: TestMeta[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.json')).sort()) {
    const name = entry.slice(0, -'.json'.length);
    const file = path.join(dir, entry);
    const tsSource = path.join(dir, `${name}.ts`);
    const isTs = !fs.existsSync(path.join(dir, `${name}.c`)) && fs.existsSync(tsSource);
    const programFile = isTs ? compiledPath(tsSource) : path.join(dir, name);
    const command = isTs ? [process.execPath, programFile] : [programFile];
    tests.push(parseMeta(file, fs.readFileSync(file, 'utf8'), isTs ? 'ts' : 'c', command, programFile));
  }
  return tests;
}
