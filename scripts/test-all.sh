#!/usr/bin/env bash
# The whole test suite, as README gives it: unit tests and the zdtm suite in one vitest run, then
# the application tests (redis, nginx, node:http, asyncio under checkpoint and restore), then the
# state mutants (each kind of state left out on purpose must make its tests fail).
# Ends with one line "N passed, N failed" (CI reads it): the sum of both.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
report=$(mktemp -d /tmp/amber-test.XXXXXX)
npx vitest run --project unit --project zdtm --reporter=default --reporter=json --outputFile.json="$report/vitest.json"
rc=$?
{ npx tsc -p apps/tsconfig.json && node dist/apps/main.js --report "$report/apps"; } > "$report/apps.txt" 2>&1
apps_rc=$?
cat "$report/apps.txt"
# Each state mutant (restore leaving one kind of state out) must make the tests of that state fail.
node dist/zdtm/mutants/state-mutants.js > "$report/mutants.txt" 2>&1
mutants_rc=$?
cat "$report/mutants.txt"
node -e '
const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const tally = (f) => /^(\d+) passed, (\d+) failed/m.exec(fs.readFileSync(f, "utf8")) || [0, 0, 1];
const m = tally(process.argv[2]), mu = tally(process.argv[3]);
// A test file that fails to load counts as a failure too (its tests never ran).
const brokenFiles = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
const passed = r.numPassedTests + Number(m[1]) + Number(mu[1]), failed = r.numFailedTests + brokenFiles + Number(m[2]) + Number(mu[2]);
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$report/vitest.json" "$report/apps.txt" "$report/mutants.txt" || echo "0 passed, 1 failed"
[ $rc = 0 ] && [ $apps_rc = 0 ] && [ $mutants_rc = 0 ]
