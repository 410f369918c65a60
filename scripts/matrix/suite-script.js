'use strict';
/**
 * The command each kernel runs (from the project root, $IO = its io folder): what `amber check`
 * says about that kernel, then the zdtm runner with the matrix's selection, reports into $IO.
 */

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** runnerArgs: the zdtm runner's options for the selection (-t ..., --quick, -a, -x, --iters). */
function suiteScript(runnerArgs) {
  return [
    'uname -r > "$IO/uname"',
    'bin/amber check > "$IO/check.txt" 2>&1',
    'echo $? > "$IO/check.status"',
    'echo "amber check: $(tr "\\n" " " < "$IO/check.txt")"',
    'rm -rf "$IO/report"',
    `exec node dist/zdtm/runner/main.js run --keep-going ${runnerArgs.map(quote).join(' ')} --report "$IO/report"`,
    '',
  ].join('\n');
}

module.exports = { suiteScript, quote };
