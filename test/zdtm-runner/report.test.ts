import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildJunit, xmlEscape } from '../../zdtm/runner/report/junit';
import { finalSummary, resultLine } from '../../zdtm/runner/report/progress';
import { buildSummary, closingLine } from '../../zdtm/runner/report/summary';
import { writeReport } from '../../zdtm/runner/report/write';
import type { CaseResult } from '../../zdtm/runner/run-case';

function result(name: string, r: CaseResult['result'], over: Partial<CaseResult> = {}): CaseResult {
  return { name, flavor: 'h', result: r, reason: '', dump_ms: null, restore_ms: null, details: [], logs: [], workdir: '', ms: 1500, ...over };
}

const results: CaseResult[] = [
  result('pipe00', 'pass', { dump_ms: 120, restore_ms: 340 }),
  result('sock<01>', 'fail', { reason: 'restore: iteration 2: "x" & \'y\' <differ>', details: ['pid 1: fd 3 missing', 'bell \x07 here'], workdir: '/tmp/w' }),
  result('ns00', 'skip', { flavor: 'ns', reason: 'namespaces not supported yet' }),
];

describe('zdtm reports', () => {
  it('escapes XML markup and characters XML cannot hold', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
    expect(xmlEscape('a\x00b\x1bc\td\ne')).toBe('a\uFFFDb\uFFFDc\td\ne');
    expect(xmlEscape('lone \uD800 surrogate, pair \u{1F600}')).toBe('lone \uFFFD surrogate, pair \u{1F600}');
  });

  it('writes one testcase per test and flavor, failures carrying the reason', () => {
    const xml = buildJunit(results, 4200);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).toContain('<testsuite name="zdtm" tests="3" failures="1" errors="0" skipped="1" time="4.200">');
    expect(xml).toContain('<testcase classname="zdtm.h" name="pipe00" time="1.500"/>');
    expect(xml).toContain('<testcase classname="zdtm.h" name="sock&lt;01&gt;" time="1.500">');
    const reason = 'restore: iteration 2: &quot;x&quot; &amp; &apos;y&apos; &lt;differ&gt;';
    expect(xml).toContain(`<failure message="${reason}">${reason}</failure>`);
    expect(xml).toContain('<system-out>work dir: /tmp/w\n\npid 1: fd 3 missing\n\nbell \uFFFD here</system-out>');
    expect(xml).toContain('<testcase classname="zdtm.ns" name="ns00" time="1.500">\n    <skipped message="namespaces not supported yet"/>');
    expect(xml.match(/<testcase /g)).toHaveLength(3);
  });

  it('summarises counts and per-test results', () => {
    expect(buildSummary(results)).toEqual({
      passed: 1,
      failed: 1,
      skipped: 1,
      tests: [
        { name: 'pipe00', flavor: 'h', result: 'pass', reason: '', dump_ms: 120, restore_ms: 340 },
        { name: 'sock<01>', flavor: 'h', result: 'fail', reason: results[1].reason, dump_ms: null, restore_ms: null },
        { name: 'ns00', flavor: 'ns', result: 'skip', reason: 'namespaces not supported yet', dump_ms: null, restore_ms: null },
      ],
    });
    expect(closingLine(results)).toBe('1 passed, 1 failed, 1 skipped');
  });

  it('ends the terminal summary with exactly the count line', () => {
    const text = finalSummary(results, 4200);
    const lines = text.trimEnd().split('\n');
    expect(lines[lines.length - 1]).toBe('1 passed, 1 failed, 1 skipped');
    expect(text).toContain('sock<01> (h): restore: iteration 2');
    expect(text).toContain('1 x namespaces not supported yet');
    expect(resultLine(results[0], 1, 3)).toBe('[1/3] PASS  pipe00 (h)  dump 120 ms, restore 340 ms');
  });

  it('writes junit.xml, summary.json and the text logs of failures', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-report-'));
    const work = path.join(tmp, 'work');
    fs.mkdirSync(path.join(work, 'img-1'), { recursive: true });
    fs.writeFileSync(path.join(work, 'x.out'), 'FAIL: no\n');
    fs.writeFileSync(path.join(work, 'img-1', 'dump.log'), 'log\n');
    fs.writeFileSync(path.join(work, 'img-1', 'pages-1.img'), 'big');
    const rs = [results[0], { ...results[1], name: 'sock01', workdir: work }];
    writeReport(path.join(tmp, 'rep'), rs, 10);
    const summary = JSON.parse(fs.readFileSync(path.join(tmp, 'rep', 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ passed: 1, failed: 1, skipped: 0 });
    expect(fs.readFileSync(path.join(tmp, 'rep', 'junit.xml'), 'utf8')).toContain('name="sock01"');
    expect(fs.readFileSync(path.join(tmp, 'rep', 'logs', 'sock01.h', 'x.out'), 'utf8')).toBe('FAIL: no\n');
    expect(fs.existsSync(path.join(tmp, 'rep', 'logs', 'sock01.h', 'img-1', 'dump.log'))).toBe(true);
    expect(fs.existsSync(path.join(tmp, 'rep', 'logs', 'sock01.h', 'img-1', 'pages-1.img'))).toBe(false);
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
