#!/usr/bin/env bash
# The whole test suite, as README gives it: unit tests and the zdtm suite in one vitest run, then
# the application tests (redis, nginx, node:http, asyncio under checkpoint and restore), then the
# state mutants (each kind of state left out on purpose must make its tests fail), then a short
# image fuzzing run.
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
# A short image fuzzing run (npm run fuzz runs 10,000 iterations): mutated images into restore and crit.
node dist/fuzz/main.js --iterations 2000 --restores 40 --seed 1 > "$report/fuzz.txt" 2>&1
fuzz_rc=$?
tail -20 "$report/fuzz.txt"
node -e '
const fs = require("fs");
const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const tally = (f) => /^(\d+) passed, (\d+) failed/m.exec(fs.readFileSync(f, "utf8")) || [0, 0, 1];
const m = tally(process.argv[2]), mu = tally(process.argv[3]), fz = tally(process.argv[4]);
// A test file that fails to load counts as a failure too (its tests never ran).
const brokenFiles = r.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
// The fuzzing run counts as one test: its iterations are not tests of their own.
const fuzzFailed = Number(fz[2]) > 0 ? 1 : 0;
const passed = r.numPassedTests + Number(m[1]) + Number(mu[1]) + (1 - fuzzFailed), failed = r.numFailedTests + brokenFiles + Number(m[2]) + Number(mu[2]) + fuzzFailed;
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
' "$report/vitest.json" "$report/apps.txt" "$report/mutants.txt" "$report/fuzz.txt" || echo "0 passed, 1 failed"
[ $rc = 0 ] && [ $apps_rc = 0 ] && [ $mutants_rc = 0 ] && [ $fuzz_rc = 0 ]
