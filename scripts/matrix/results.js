'use strict';
/**
 * What one kernel's run left in its io folder, read back: its release, `amber check`'s verdict,
 * the runner's summary.json (or why there is none). Per-kernel JUnit files are derived here.
 */
const fs = require('node:fs');
const path = require('node:path');

function readText(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : null;
}

/** Lines of `amber check` output that say something is missing (or the whole text). */
function checkVerdict(text, status) {
  if (text === null) return { ok: false, summary: 'not run', missing: [] };
  const lines = text.split('\n').filter(Boolean);
  const missing = lines.filter((l) => !/^Looks good\.?$/.test(l));
  if (status === 0 && missing.length === 0) return { ok: true, summary: 'Looks good.', missing: [] };
  return { ok: status === 0, summary: status === 0 ? 'Looks good (with warnings)' : 'missing features', missing };
}

/**
 * The line that says why a test failed, from the logs the runner kept (report/logs/NAME.FLAVOR/):
 * the first error of the checkpointer's dump or restore log, else the test's own first ERROR.
 */
function failureDetail(ioDir, test) {
  const dir = path.join(ioDir, 'report', 'logs', `${test.name}.${test.flavor || 'h'}`);
  if (!fs.existsSync(dir)) return null;
  const iters = fs.readdirSync(dir).filter((f) => /^img-\d+$/.test(f)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const candidates = [];
  for (const it of iters) for (const f of ['dump.log', 'restore.log']) candidates.push([path.join(dir, it, f), /\bError\b/]);
  candidates.push([path.join(dir, `${test.name}.out`), /^ERROR:/]);
  for (const [file, re] of candidates) {
    const line = (readText(file) || '').split('\n').find((l) => re.test(l));
    if (line) return line.replace(/^\(\s*[\d.]+\)\s*/, '').trim();
  }
  return null;
}

/** { release, check, summary, error } for one target's io folder after exec() returned `run`. */
function collect(target, ioDir, run) {
  const release = readText(path.join(ioDir, 'uname')) || target.release;
  const checkStatus = readText(path.join(ioDir, 'check.status'));
  const check = checkVerdict(readText(path.join(ioDir, 'check.txt')), checkStatus === null ? null : Number(checkStatus));
  const summaryFile = path.join(ioDir, 'report', 'summary.json');
  let summary = null;
  let error = run.error;
  if (fs.existsSync(summaryFile)) {
    try {
      summary = JSON.parse(fs.readFileSync(summaryFile, 'utf8'));
      for (const t of summary.tests || []) if (t.result === 'fail') t.detail = failureDetail(ioDir, t);
    } catch (e) {
      error = `unreadable summary.json: ${e.message}`;
    }
  } else if (!error) {
    const tail = (readText(path.join(ioDir, 'out.log')) || '').split('\n').slice(-5).join('\n');
    error = `the zdtm runner wrote no summary (exit status ${run.status})${tail ? `:\n${tail}` : ''}`;
  }
  return { release, check, summary, error, status: run.status, ms: run.ms };
}

const xmlEscape = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]);

/** The JUnit file of one kernel: the runner's, renamed so that files of all kernels can merge. */
function kernelJunit(ioDir, release, error) {
  const cls = `kernel-${release.replace(/\./g, '_')}`;
  const file = path.join(ioDir, 'report', 'junit.xml');
  if (fs.existsSync(file)) {
    return fs
      .readFileSync(file, 'utf8')
      .replace(/<testsuite name="zdtm"/, `<testsuite name="zdtm on ${xmlEscape(release)}"`)
      .replace(/classname="zdtm\./g, `classname="${cls}.zdtm.`);
  }
  const msg = xmlEscape(error || 'no report');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="zdtm" tests="1" failures="0" errors="1">`,
    `<testsuite name="zdtm on ${xmlEscape(release)}" tests="1" failures="0" errors="1" skipped="0">`,
    `  <testcase classname="${cls}" name="boot and run the suite"><error message="${msg}">${msg}</error></testcase>`,
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}

module.exports = { collect, checkVerdict, kernelJunit, failureDetail };
