'use strict';
/**
 * The matrix itself: test × kernel, as matrix.json, a text table for the terminal and a
 * Markdown table (matrix.md, for docs/matrix.md). Cells are pass / FAIL / skip; a reason gets a
 * numbered note under the table, one note per distinct reason.
 */

const testKey = (t) => (t.flavor && t.flavor !== 'h' ? `${t.name} (${t.flavor})` : t.name);
const firstLine = (s) => String(s || '').split('\n')[0];

/**
 * runs: [{ release, header, kind, accel, package, version, check, summary, error, status, ms }]
 * Returns the object written as matrix.json.
 */
function buildMatrix(runs, meta = {}) {
  const kernels = runs.map((r) => r.release);
  const tests = [];
  for (const r of runs) for (const t of r.summary?.tests || []) if (!tests.includes(testKey(t))) tests.push(testKey(t));
  const results = {};
  for (const name of tests) {
    results[name] = {};
    for (const r of runs) {
      const t = (r.summary?.tests || []).find((x) => testKey(x) === name);
      if (t) {
        results[name][r.release] = { result: t.result, reason: t.reason || '' };
        if (t.detail) results[name][r.release].detail = t.detail;
      }
      else if (!r.summary) results[name][r.release] = { result: 'fail', reason: `kernel run failed: ${firstLine(r.error)}` };
      else results[name][r.release] = { result: 'skip', reason: 'not in this run' };
    }
  }
  const info = {};
  for (const r of runs) {
    info[r.release] = {
      header: r.header,
      kind: r.kind,
      accel: r.accel || null,
      package: r.package || null,
      version: r.version || null,
      check: r.check,
      passed: r.summary?.passed ?? 0,
      failed: r.summary?.failed ?? 0,
      skipped: r.summary?.skipped ?? 0,
      seconds: Math.round((r.ms || 0) / 1000),
      error: r.error || null,
    };
  }
  return { kernels, results, info, ...meta };
}

/** One matrix from several (matrix.json of earlier runs, e.g. one per Vagrant VM), in order. */
function mergeMatrices(list) {
  const out = { kernels: [], results: {}, info: {} };
  for (const m of list) {
    for (const k of m.kernels) {
      let key = k;
      for (let n = 2; out.kernels.includes(key); n++) key = `${k} #${n}`;
      out.kernels.push(key);
      out.info[key] = m.info?.[k] || { header: k, check: { ok: false, summary: '?', missing: [] } };
      for (const [test, byKernel] of Object.entries(m.results)) {
        if (byKernel[k]) (out.results[test] ||= {})[key] = byKernel[k];
      }
    }
  }
  return out;
}

/** rows of cells + notes, shared by the text and the Markdown forms. */
function cells(matrix) {
  const notes = [];
  const note = (reason) => {
    // PIDs and addresses differ from kernel to kernel: one note for what is otherwise the same
    const text = (firstLine(reason) || '(no reason given)')
      .replace(/\b(task|pid|tid|process) \d+/gi, '$1 N')
      .replace(/\b0x[0-9a-f]{6,}\b/gi, '0x…');
    let i = notes.indexOf(text);
    if (i === -1) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  const rows = [];
  rows.push([
    'amber check',
    ...matrix.kernels.map((k) => {
      const c = matrix.info[k].check;
      return c.missing.length === 0 ? c.summary : `${c.ok ? 'good, warns' : 'missing'} ${c.missing.map(note).join('')}`;
    }),
  ]);
  for (const [name, byKernel] of Object.entries(matrix.results)) {
    rows.push([
      name,
      ...matrix.kernels.map((k) => {
        const c = byKernel[k];
        if (!c) return '-';
        if (c.result === 'pass') return 'pass';
        return `${c.result === 'fail' ? 'FAIL' : 'skip'} ${note(c.detail ? `${firstLine(c.reason)}: ${c.detail}` : c.reason)}`;
      }),
    ]);
  }
  rows.push(['total (pass/fail/skip)', ...matrix.kernels.map((k) => {
    const i = matrix.info[k];
    return i.error && !i.passed && !i.failed ? 'did not run' : `${i.passed}/${i.failed}/${i.skipped}`;
  })]);
  return { rows, notes };
}

function headers(matrix) {
  return ['test', ...matrix.kernels.map((k) => matrix.info[k].header)];
}

function textTable(matrix) {
  const { rows, notes } = cells(matrix);
  const all = [headers(matrix), ...rows];
  const widths = all[0].map((_, c) => Math.max(...all.map((r) => r[c].length)));
  const line = (r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(all[0]), rule, ...rows.map(line), rule];
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  for (const k of matrix.kernels) {
    const e = matrix.info[k].error;
    if (e) out.push(`${k}: ${e}`);
  }
  return `${out.join('\n')}\n`;
}

function markdownTable(matrix) {
  const { rows, notes } = cells(matrix);
  const esc = (s) => s.replace(/\|/g, '\\|');
  const out = [
    `| ${headers(matrix).map(esc).join(' | ')} |`,
    `|${headers(matrix).map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
    '',
  ];
  notes.forEach((n, i) => out.push(`${i + 1}. ${n}`));
  return `${out.join('\n')}\n`;
}

module.exports = { buildMatrix, mergeMatrices, textTable, markdownTable, testKey };
