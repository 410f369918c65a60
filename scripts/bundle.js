#!/usr/bin/env node
// Build step after tsc: the CLI as one file (dist/amber.js, what bin/amber runs: one file to
// load instead of ~150 modules) and the .proto files as protobufjs JSON (dist/proto.json).
// Both only speed amber's start up; without esbuild bin/amber runs dist/src/cli/main.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const { protoRoot } = require(path.join(root, 'dist/src/images/schema.js'));
fs.writeFileSync(path.join(root, 'dist/proto.json'), JSON.stringify(protoRoot().toJSON()));

let esbuild;
try {
  esbuild = require('esbuild');
} catch {
  process.stderr.write('bundle: esbuild not installed; bin/amber will load dist/src/cli/main.js\n');
  fs.rmSync(path.join(root, 'dist/amber.js'), { force: true });
  process.exit(0);
}
// A new bundle: V8's code cache of the old one would be rejected anyway.
fs.rmSync(path.join(root, 'dist/amber.js.cache'), { force: true });
fs.rmSync(path.join(root, 'dist/amber.js.cache.commands'), { force: true });
esbuild.buildSync({
  entryPoints: [path.join(root, 'dist/src/cli/main.js')],
  outfile: path.join(root, 'dist/amber.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // Loaded at run time from the package, not bundled: the native addon's loader.
  external: ['node-gyp-build'],
});
