#!/usr/bin/env node
// Runs a TypeScript benchmark in-process with the repo's own swc settings (.swcrc), without a build:
//   node bench/run-ts.js bench/authz/authz.bench.ts [--quick]
// A require hook compiles each .ts file with @swc/core transformSync (CommonJS, inline source maps) and
// maps `@gatehouse/<lib>` to libs/<lib>/src/index.ts, as tsconfig.json's `paths` do. No type checking:
// that is `npm run typecheck`.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const swcrc = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));

require.extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = swc.transformSync(source, {
    ...swcrc,
    swcrc: false,
    configFile: false,
    filename,
    sourceMaps: 'inline',
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveGatehouse(request, parent, ...rest) {
  const lib = /^@gatehouse\/([a-z][a-z0-9-]*)$/.exec(request);
  const target = lib ? path.join(root, 'libs', lib[1], 'src', 'index.ts') : request;
  return resolveFilename.call(this, target, parent, ...rest);
};

process.setSourceMapsEnabled(true);

const script = process.argv[2];
if (!script) {
  console.error('usage: node bench/run-ts.js <file.ts> [args…]');
  process.exit(2);
}
// The script sees itself as argv[1] and its own arguments after it.
process.argv.splice(1, 1);
process.argv[1] = path.resolve(script);
require(process.argv[1]);
