/**
 * Which tests a run covers: named ones (-t), or all (-a) minus noauto; minus -x patterns;
 * crossed with the flavors (-f). Also the quick list used by CI.
 */
import * as fs from 'node:fs';
import { RunnerUsageError } from './errors';
import { hasFlag, type TestMeta } from './metadata';

export const FLAVORS = ['h', 'ns', 'uns'] as const;
export type Flavor = (typeof FLAVORS)[number];

/** One test in one flavor: the unit the runner schedules and reports. */
export interface TestCase {
  meta: TestMeta;
  flavor: Flavor;
}

export function caseId(c: { meta: { name: string }; flavor: Flavor } | { name: string; flavor: Flavor }): string {
  const name = 'meta' in c ? c.meta.name : c.name;
  return `${name}.${c.flavor}`;
}

/** A pattern is a regular expression; one that does not compile is matched as a substring. */
export function makeMatcher(pattern: string): (name: string) => boolean {
  try {
    const re = new RegExp(pattern);
    return (name) => re.test(name);
  } catch {
    return (name) => name.includes(pattern);
  }
}

export interface Selection {
  names: string[];
  all: boolean;
  exclude: string[];
}

/** Tests picked by name keep the order given; -a gives every test but the noauto ones, by name. */
export function selectTests(tests: TestMeta[], sel: Selection): TestMeta[] {
  const byName = new Map(tests.map((t) => [t.name, t]));
  let picked: TestMeta[];
  if (sel.all) {
    picked = tests.filter((t) => !hasFlag(t, 'noauto'));
  } else {
    const missing = sel.names.filter((n) => !byName.has(n));
    if (missing.length > 0) throw new RunnerUsageError(`no such test: ${missing.join(', ')} (see \`zdtm list\`)`);
    picked = [...new Set(sel.names)].map((n) => byName.get(n) as TestMeta);
  }
  const excluded = sel.exclude.map(makeMatcher);
  return picked.filter((t) => !excluded.some((m) => m(t.name)));
}

export function parseFlavors(list: string): Flavor[] {
  const flavors = list.split(',').map((f) => f.trim()).filter(Boolean);
  const bad = flavors.filter((f) => !(FLAVORS as readonly string[]).includes(f));
  if (bad.length > 0 || flavors.length === 0) {
    throw new RunnerUsageError(`bad flavor list "${list}": use a comma-separated subset of ${FLAVORS.join(',')}`);
  }
  return [...new Set(flavors)] as Flavor[];
}

export function crossFlavors(tests: TestMeta[], flavors: Flavor[]): TestCase[] {
  return tests.flatMap((meta) => flavors.map((flavor) => ({ meta, flavor })));
}

/** Names in a list file: one per line; blank lines and # comments ignored. */
export function readNameList(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}
