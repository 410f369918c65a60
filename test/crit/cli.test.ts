/**
 * amber crit's command line: crit's subcommands and options, stdin/stdout
 * and -i/-o files, info, usage errors; and `amber crit` dispatched by the
 * amber command (bin/amber, when built).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { critMain } from '../../src/crit/cli';
import { parse } from '../../src/crit/json';
import { IMAGE_KIND_NAMES, encodeImage, writeImage } from '../../src/images';
import { SAMPLES } from '../images/samples';

function amber(args: string[], input: Buffer = Buffer.alloc(0)) {
  const out: Buffer[] = [];
  let stderr = '';
  const status = critMain(args, {
    stdout: (d) => out.push(Buffer.isBuffer(d) ? d : Buffer.from(d)),
    stderr: (t) => (stderr += t),
    stdin: () => input,
  });
  return { status, stdout: Buffer.concat(out), stderr };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-crit-cli-'));
  writeImage(dir, 'pstree.img', 'PSTREE', SAMPLES.PSTREE);
  writeImage(dir, 'pagemap-1.img', 'PAGEMAP', SAMPLES.PAGEMAP);
  writeImage(dir, 'pipes-data.img', 'PIPES_DATA', SAMPLES.PIPES_DATA);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('amber crit', () => {
  it('decodes from stdin to stdout, and from -i to -o without the final newline', () => {
    const data = fs.readFileSync(path.join(dir, 'pstree.img'));
    const viaStdin = amber(['decode'], data);
    expect(viaStdin.status).toBe(0);
    expect(viaStdin.stdout.toString()).toMatch(/^\{"magic": "PSTREE", "entries": \[\{"pid": /);
    expect(viaStdin.stdout.toString().endsWith('}\n')).toBe(true);
    const out = path.join(dir, 'pstree.json');
    expect(amber(['decode', '--in', path.join(dir, 'pstree.img'), `--out=${out}`]).status).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe(viaStdin.stdout.toString().slice(0, -1));
    // argparse-style abbreviations and joined short options.
    expect(amber(['decode', '--pre', `-i${path.join(dir, 'pstree.img')}`]).stdout.toString()).toMatch(/^\{\n {4}"magic": "PSTREE",\n/);
  });

  it('encodes from -i or stdin, to -o or stdout', () => {
    const json = amber(['decode', '-i', path.join(dir, 'pipes-data.img')]).stdout;
    const bytes = encodeImage('PIPES_DATA', SAMPLES.PIPES_DATA);
    expect(amber(['encode'], json).stdout.equals(bytes)).toBe(true);
    fs.writeFileSync(path.join(dir, 'p.json'), json);
    expect(amber(['encode', '-i', path.join(dir, 'p.json'), '-o', path.join(dir, 'p.img')]).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'p.img')).equals(bytes)).toBe(true);
  });

  it('show is decode --pretty of a file; --nopl gives payload sizes', () => {
    const file = path.join(dir, 'pipes-data.img');
    expect(amber(['show', file]).stdout.equals(amber(['decode', '--pretty', '-i', file]).stdout)).toBe(true);
    const nopl = parse(amber(['show', file, '--nopl']).stdout.toString()) as any;
    expect(nopl.entries.map((e: any) => e.extra)).toEqual(SAMPLES.PIPES_DATA.map((e) => `... <${e.extra.length}B>`));
  });

  it('info prints the magic and the entry count (pagemap: without its head)', () => {
    expect(amber(['info', path.join(dir, 'pstree.img')]).stdout.toString()).toBe(`{\n    "magic": "PSTREE",\n    "count": ${SAMPLES.PSTREE.length}\n}\n`);
    expect(parse(amber(['info', path.join(dir, 'pagemap-1.img')]).stdout.toString())).toEqual({ magic: 'PAGEMAP', count: BigInt(SAMPLES.PAGEMAP.length - 1) });
  });

  it('refuses bad usage with exit status 2, and bad input with 1', () => {
    for (const args of [['frob'], ['x', dir, 'nothing'], ['info'], ['decode', '--bogus'], ['decode', '-i']]) {
      const r = amber(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/usage: amber crit/);
    }
    expect(amber([]).status).toBe(1); // crit: "too few arguments", exit 1
    expect(amber(['--help']).status).toBe(0);
    expect(amber(['decode', '-h']).stdout.toString()).toMatch(/--pretty/);
    expect(amber(['encode'], Buffer.from('{"magic": "NOPE", "entries": []}')).status).toBe(1);
    expect(amber(['encode'], Buffer.from('{"magic": ')).stderr).toMatch(/Cannot read JSON/);
    const r = amber(['decode'], Buffer.alloc(16));
    expect([r.status, r.stderr]).toEqual([1, 'Unknown magic 0x0.\nMaybe you are feeding me an image with raw data(i.e. pages.img)?\n']);
    expect(amber(['decode', '-i', path.join(dir, 'missing.img')]).status).toBe(1);
  });

  it('decode then encode gives back the bytes of every kind amber writes (no crit needed)', () => {
    for (const kind of IMAGE_KIND_NAMES) {
      const bytes = encodeImage(kind, SAMPLES[kind]);
      for (const pretty of [[], ['--pretty']]) {
        const json = amber(['decode', ...pretty], bytes);
        expect(json.status, kind).toBe(0);
        expect(parse(json.stdout.toString())).toMatchObject({ magic: kind });
        expect(amber(['encode'], json.stdout).stdout.equals(bytes), `${kind} ${pretty}`).toBe(true);
      }
    }
  });

  const bin = path.resolve(__dirname, '../../bin/amber');
  const built = fs.existsSync(path.resolve(__dirname, '../../dist/src/crit/cli.js'));
  it.skipIf(!built)('runs as `amber crit` from the amber command', () => {
    const r = spawnSync(bin, ['crit', 'show', path.join(dir, 'pstree.img')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(amber(['show', path.join(dir, 'pstree.img')]).stdout.toString());
    expect(spawnSync(bin, ['crit', 'x', dir, 'bogus'], { encoding: 'utf8' }).status).toBe(2);
  });
});
