#!/usr/bin/env node
'use strict';
// `npm run matrix`: the zdtm suite across kernels, each booted under qemu (see docs/matrix.md).
require('./matrix/main').main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`matrix: crashed: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  },
);
