import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetadataError, RunnerUsageError } from '../../zdtm/runner/errors';
import { loadTests, type TestMeta } from '../../zdtm/runner/metadata';
import { compiledPath } from '../../zdtm/runner/paths';
import { crossFlavors, makeMatcher, parseFlavors, readNameList, selectTests } from '../../zdtm/runner/select';

const meta = (name: string, flags: TestMeta['flags'] = []): TestMeta => ({
  name, desc: '', flags, dumpOpts: [], restoreOpts: [], feature: [], kind: 'c', command: [name], programFile: name,
});

const tests = [meta('env00'), meta('maps01'), meta('pipe00'), meta('slow', ['noauto']), meta('sock00', ['excl'])];
const names = (ts: TestMeta[]): string[] => ts.map((t) => t.name);

describe('test selection', () => {
  it('-a takes all but noauto tests', () => {
    expect(names(selectTests(tests, { names: [], all: true, exclude: [] }))).toEqual(['env00', 'maps01', 'pipe00', 'sock00']);
  });

  it('-t takes named tests in the order given, noauto ones too', () => {
    expect(names(selectTests(tests, { names: ['slow', 'env00', 'slow'], all: false, exclude: [] }))).toEqual(['slow', 'env00']);
    expect(() => selectTests(tests, { names: ['nope'], all: false, exclude: [] })).toThrow(RunnerUsageError);
  });

  it('-x excludes by regex, or by substring when the pattern is no regex', () => {
    expect(names(selectTests(tests, { names: [], all: true, exclude: ['^p', '0$'] }))).toEqual(['maps01']);
    expect(makeMatcher('a(')('xa(y')).toBe(true);
    expect(makeMatcher('a(')('xay')).toBe(false);
    expect(makeMatcher('ps0')('maps01')).toBe(true);
  });

  it('parses flavors and crosses them with tests', () => {
    expect(parseFlavors('h, ns,h')).toEqual(['h', 'ns']);
    expect(() => parseFlavors('')).toThrow(RunnerUsageError);
    expect(() => parseFlavors('h,vz')).toThrow(RunnerUsageError);
    const cases = crossFlavors([tests[0], tests[1]], ['h', 'uns']);
    expect(cases.map((c) => `${c.meta.name}.${c.flavor}`)).toEqual(['env00.h', 'env00.uns', 'maps01.h', 'maps01.uns']);
  });

  it('reads name lists with comments and blank lines', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-list-'));
    fs.writeFileSync(path.join(tmp, 'q.list'), '# quick set\npipe00\n\n  env00  # fast\n');
    expect(readNameList(path.join(tmp, 'q.list'))).toEqual(['pipe00', 'env00']);
    fs.rmSync(tmp, { recursive: true });
  });
});

describe('test metadata', () => {
  it('finds C and TypeScript tests and reads their metadata', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-static-'));
    fs.writeFileSync(path.join(tmp, 'cee.c'), '');
    fs.writeFileSync(path.join(tmp, 'cee.json'), '{"desc":"a C test","flags":["root"],"dumpOpts":["--tcp-established"],"timeout":60}');
    fs.writeFileSync(path.join(tmp, 'tee.ts'), '');
    fs.writeFileSync(path.join(tmp, 'tee.json'), '{"desc":"a TS test","feature":["threads"]}');
    const [c, t] = loadTests(tmp);
    expect(c).toMatchObject({ name: 'cee', kind: 'c', flags: ['root'], dumpOpts: ['--tcp-established'], restoreOpts: [], timeout: 60 });
    expect(c.command).toEqual([path.join(tmp, 'cee')]);
    expect(t).toMatchObject({ name: 'tee', kind: 'ts', feature: ['threads'], programFile: compiledPath(path.join(tmp, 'tee.ts')) });
    expect(t.command).toEqual([process.execPath, t.programFile]);
    fs.rmSync(tmp, { recursive: true });
  });

  it('rejects unknown flags, bad types and bad JSON, naming the file', () => {
    for (const [text, problem] of [
      ['{"flags":["exclusive"]}', /unknown flag/],
      ['{"dumpOpts":"--x"}', /dumpOpts/],
      ['{"timeout":-1}', /timeout/],
      ['{', /not JSON/],
      ['[]', /object/],
      ['{"flags":["crfail"]}', /refusal.*goes with the crfail flag/], // a crfail test names its refusal
      ['{"refusal":"x"}', /refusal.*only with it/],
      ['{"flags":["crfail"],"refusal":"("}', /not a regular expression/],
    ] as const) {
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-static-'));
      fs.writeFileSync(path.join(tmp, 'x.json'), text);
      expect(() => loadTests(tmp)).toThrow(MetadataError);
      expect(() => loadTests(tmp)).toThrow(problem);
      fs.rmSync(tmp, { recursive: true });
    }
  });
});
