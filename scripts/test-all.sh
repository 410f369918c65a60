#!/usr/bin/env bash
# The whole test suite, as README gives it: unit tests and the zdtm suite in one vitest run.
# Ends with one line "N passed, N failed" (CI reads it).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
report=$(mktemp -d /tmp/amber-test.XXXXXX)
npx vitest run --project unit --project zdtm --reporter=default --reporter=json --outputFile.json="$report/vitest.json"
rc=$?
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report/vitest.json" || echo "0 passed, 1 failed"
exit $rc
