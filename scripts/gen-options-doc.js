#!/usr/bin/env node
// Writes docs/options.md from the one option table (src/cli/option-table.ts, built into dist/).
// `node scripts/gen-options-doc.js --check` exits 1 if the page is not what the table gives.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { OPTIONS, COMMANDS } = require(path.join(root, 'dist/src/cli/option-table.js'));

function render() {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const lines = [
    '# amber\'s command line: every CRIU option',
    '',
    'Generated from `src/cli/option-table.ts` by `node scripts/gen-options-doc.js`: the same table',
    'drives the parser and `amber --help`. **yes**: amber does what CRIU does; **accepted**: taken',
    'and harmless (the note says why); **not yet**: fails with `option --X: not supported yet` and',
    'exit 1. Flags can be negated with `--no-X`. Options can also come from CRIU\'s config files',
    '(`/etc/criu/default.conf`, `~/.criu/default.conf`, `$CRIU_CONFIG_FILE`, `--config FILE`;',
    '`--no-default-config`), one option per line without the dashes.',
    '',
    '## Commands',
    '',
    '| command | what | amber |',
    '| --- | --- | --- |',
    ...COMMANDS.map((c) => `| \`${c.name}\` | ${esc(c.help)} | ${c.support === 'unsupported' ? `not yet: ${esc(c.note)}` : 'yes'} |`),
    '',
    '## Options',
    '',
    '| option | value | commands | what | amber |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const o of OPTIONS) {
    const names = `${o.short ? `\`-${o.short}\`, ` : ''}\`--${o.long}\``;
    const value = o.arg ? (o.optionalArg ? `[=${esc(o.arg)}]` : esc(o.arg)) : '';
    const where = o.commands ? o.commands.join(', ') : 'all';
    const support = o.support === 'unsupported' ? 'not yet' : o.support;
    const note = o.note ? `: ${esc(o.note)}` : '';
    lines.push(`| ${names}${o.repeatable ? ' (repeatable)' : ''} | ${value} | ${where} | ${esc(o.help)} | ${support}${note} |`);
  }
  return lines.join('\n') + '\n';
}

const out = path.join(root, 'docs/options.md');
const text = render();
if (process.argv.includes('--check')) {
  const have = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  if (have !== text) {
    process.stderr.write('docs/options.md is out of date: run node scripts/gen-options-doc.js\n');
    process.exit(1);
  }
} else {
  fs.writeFileSync(out, text);
}
