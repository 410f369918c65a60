/** The benchmark's pure parts: ratio and per-object rows, and --write-docs' block replacement. */
import { describe, expect, it } from 'vitest';
import { BEGIN, bullets, commandLine, END, markerProblem, replaceBetweenMarkers } from '../../bench/docs';
import { ratio, ratioRow, sig3 } from '../../bench/report';
import { marginalLines, SCALE_KINDS, scaleRows, type ScaleToolResult, type ScaleWorkload } from '../../bench/scale';

describe('bench report helpers', () => {
  it('divides medians, and says - when either is missing', () => {
    expect(ratio(300, 100)).toBe('3.00');
    expect(ratio(undefined, 100)).toBe('-');
    expect(ratio(100, undefined)).toBe('-');
    expect(ratio(100, 0)).toBe('-');
  });
  it('puts amber over CRIU in the dump, restore and frozen columns of a 9-column row', () => {
    const row = ratioRow('1 MiB', { dump: 200, restore: 90, frozen: 10 }, { dump: 100, restore: 30 });
    expect(row).toEqual(['1 MiB', 'amber/criu', '2.00', '3.00', '', '', '-', '', 'ratio of medians']);
  });
  it('keeps three significant digits', () => {
    expect(sig3(0.012345)).toBe('0.0123');
    expect(sig3(1.2345)).toBe('1.23');
    expect(sig3(12.345)).toBe('12.3');
    expect(sig3(1234.5)).toBe('1235');
    expect(sig3(0)).toBe('0');
    expect(sig3(undefined)).toBe('-');
  });
});

describe('scale rows', () => {
  const result = (tool: string, dump: number[], restore: number[], verify = 'ok'): ScaleToolResult => ({
    tool,
    command: [tool],
    runs: dump.map((d, i) => ({ run: i + 1, pid: 100, tasks: 1, dumpMs: d, restoreMs: restore[i], imageBytes: 1 << 20, verify })),
  });
  const tree = SCALE_KINDS.filter((k) => k.family === 'tree');

  it('has two sizes of every family, the large ten times the small', () => {
    for (const family of ['tree', 'threads', 'fds', 'vmas']) {
      const ns = SCALE_KINDS.filter((k) => k.family === family).map((k) => k.n);
      expect(ns).toHaveLength(2);
      expect(ns[1]).toBe(ns[0] * 10);
    }
  });
  it('gives ms per object and the amber/criu row, and a CRIU failure alone', () => {
    const small: ScaleWorkload = { ...tree[0], tools: [result('amber', [500, 600, 700], [300, 300, 300]), result('criu', [100, 100, 100], [100, 150, 200])] };
    const large: ScaleWorkload = {
      ...tree[1],
      tools: [result('amber', [5000], [3000]), { tool: 'criu', command: ['criu'], runs: [], failure: { run: 1, phase: 'dump', reason: 'exit 1: Error' } }],
    };
    const rows = scaleRows([small, large]);
    expect(rows[0].slice(0, 6)).toEqual([small.name, 'amber', '600 (500–700)', '300 (300–300)', '6.00', '3.00']);
    expect(rows[0][8]).toBe('ok 3/3');
    expect(rows[1].slice(0, 6)).toEqual([small.name, 'criu', '100 (100–100)', '150 (100–200)', '1.00', '1.50']);
    expect(rows[2].slice(0, 4)).toEqual([small.name, 'amber/criu', '6.00', '2.00']);
    expect(rows[3].slice(2, 6)).toEqual(['5000', '3000', '5.00', '3.00']);
    expect(rows[4]).toEqual([large.name, 'criu', 'FAILED (dump): exit 1: Error']);
    expect(rows).toHaveLength(5);
    // (5000 - 600) / 900 per extra process for amber; CRIU has no large median.
    expect(marginalLines([small, large])).toEqual(['tree 100 → 1000: ms per extra process: amber dump 4.89, restore 3.00']);
  });
  it('shows a failed check', () => {
    const w: ScaleWorkload = { ...tree[0], tools: [result('amber', [1, 1], [1, 1], 'TREE DIFFERS')] };
    expect(scaleRows([w])[0][8]).toBe('TREE DIFFERS (2/2)');
  });
});

describe('--write-docs', () => {
  const doc = `# Title\n\nintro\n\n${BEGIN}\nold table\n${END}\n\nafter\n`;
  it('replaces what lies between the markers and nothing else', () => {
    expect(replaceBetweenMarkers(doc, '| new |\n')).toBe(`# Title\n\nintro\n\n${BEGIN}\n| new |\n${END}\n\nafter\n`);
    const twice = replaceBetweenMarkers(replaceBetweenMarkers(doc, 'a'), 'b');
    expect(twice).toBe(replaceBetweenMarkers(doc, 'b'));
  });
  it('takes a marker only alone on its line, so that prose may quote one', () => {
    const quoted = `between \`${BEGIN}\` and \`${END}\`:\n\n${doc}`;
    expect(markerProblem(quoted)).toBeUndefined();
    expect(replaceBetweenMarkers(quoted, 'x')).toBe(`between \`${BEGIN}\` and \`${END}\`:\n\n# Title\n\nintro\n\n${BEGIN}\nx\n${END}\n\nafter\n`);
    expect(markerProblem(`${BEGIN} text\n${END}`)).toMatch(/no <!-- bench:begin -->/);
  });
  it('refuses missing, repeated or swapped markers', () => {
    expect(markerProblem(doc)).toBeUndefined();
    expect(markerProblem('no markers')).toMatch(/no <!-- bench:begin -->/);
    expect(markerProblem(`${BEGIN}\n${END}\n${BEGIN}\n${END}`)).toMatch(/once/);
    expect(markerProblem(`${END}\n${BEGIN}`)).toMatch(/before/);
    expect(() => replaceBetweenMarkers('x', 'y')).toThrow();
  });
  it('names the command without the output options', () => {
    expect(commandLine([], undefined)).toBe('npm run bench');
    expect(commandLine(['--scale', '--write-docs', '--docs', 'a.md', '--runs', '3', '--json', '/tmp/x.json', '--markdown'], undefined)).toBe(
      'npm run bench -- --scale --runs 3',
    );
    expect(commandLine(['--dir', '/dev/shm/a b'], '/opt/criu')).toBe("CRIU_BIN=/opt/criu npm run bench -- --dir '/dev/shm/a b'");
  });
});

describe('--write-docs notes', () => {
  it('nests indented lines under the one above', () => {
    expect(bullets(['fixed cost: 1 ms', '  1 MiB net: 2 GiB/s'])).toBe('- fixed cost: 1 ms\n  - 1 MiB net: 2 GiB/s');
  });
});
