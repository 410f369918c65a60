#!/usr/bin/env node
'use strict';
// `npm run vagrant`: the Vagrantfile's VMs on this machine, on boxes built here (see docs/matrix.md).
require('./vagrant/main').main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`vagrant: crashed: ${e && e.stack ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  },
);
