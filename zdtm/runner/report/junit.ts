/**
 * junit.xml: one testsuite, one testcase per test and flavor (classname zdtm.FLAVOR).
 * A failure's message and text are its reason; the details and log excerpts go to system-out.
 */
import type { CaseResult } from '../run-case';

/** Text fit for XML 1.0: escapes markup, drops characters XML cannot carry. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

function testcase(r: CaseResult): string {
  const head = `  <testcase classname="zdtm.${xmlEscape(r.flavor)}" name="${xmlEscape(r.name)}" time="${seconds(r.ms)}"`;
  if (r.result === 'pass') return `${head}/>`;
  if (r.result === 'skip') return `${head}>\n    <skipped message="${xmlEscape(r.reason)}"/>\n  </testcase>`;
  const out = r.details.length > 0 ? `\n    <system-out>${xmlEscape([`work dir: ${r.workdir}`, ...r.details].join('\n\n'))}</system-out>` : '';
  return `${head}>\n    <failure message="${xmlEscape(r.reason)}">${xmlEscape(r.reason)}</failure>${out}\n  </testcase>`;
}

export function buildJunit(results: CaseResult[], totalMs: number): string {
  const failures = results.filter((r) => r.result === 'fail').length;
  const skipped = results.filter((r) => r.result === 'skip').length;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="zdtm" tests="${results.length}" failures="${failures}" skipped="${skipped}" time="${seconds(totalMs)}">`,
    `<testsuite name="zdtm" tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(totalMs)}">`,
    ...results.map(testcase),
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
