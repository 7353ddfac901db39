#!/usr/bin/env node
// The gatehouse command. A published package runs its compiled dist/main.js; in the repository (after
// `npm ci`, no build) a require hook compiles src/*.ts with @swc/core (the repo's .swcrc, as
// bench/run-ts.js does) and maps @gatehouse/sdk to packages/sdk/src/index.ts. Compiled files are cached
// by content hash under $XDG_CACHE_HOME/gatehouse/swc (~/.cache/...), so a warm start never loads swc.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.resolve(__dirname, '..');
const dist = path.join(pkg, 'dist', 'main.js');

if (fs.existsSync(dist)) {
  require(dist).cli();
} else {
  const crypto = require('node:crypto');
  const os = require('node:os');
  const Module = require('node:module');
  const root = path.resolve(pkg, '..', '..');
  const swcrcText = fs.readFileSync(path.join(root, '.swcrc'), 'utf8');
  const cacheDir = path.join(
    process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'),
    'gatehouse',
    'swc',
  );
  let swc;
  let swcVersion;
  const swcKey = () => {
    if (swcVersion === undefined) {
      try {
        swcVersion = JSON.parse(fs.readFileSync(require.resolve('@swc/core/package.json'), 'utf8')).version;
      } catch {
        swcVersion = 'unknown';
      }
    }
    return swcVersion;
  };

  const compile = (source, filename) => {
    const key = crypto
      .createHash('sha256')
      .update(`${swcKey()}\0${swcrcText}\0${filename}\0${source}`)
      .digest('hex');
    const cached = path.join(cacheDir, `${key}.js`);
    try {
      return fs.readFileSync(cached, 'utf8');
    } catch {
      // not cached yet
    }
    swc ??= require('@swc/core');
    const { code } = swc.transformSync(source, {
      ...JSON.parse(swcrcText),
      swcrc: false,
      configFile: false,
      filename,
      sourceMaps: 'inline',
      module: { type: 'commonjs' },
    });
    try {
      fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      const tmp = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, code, { mode: 0o600 });
      fs.renameSync(tmp, cached);
    } catch {
      // a read-only home: compile every time
    }
    return code;
  };

  require.extensions['.ts'] = function compileTs(module, filename) {
    module._compile(compile(fs.readFileSync(filename, 'utf8'), filename), filename);
  };

  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function resolveSdk(request, parent, ...rest) {
    const target =
      request === '@gatehouse/sdk' ? path.join(root, 'packages', 'sdk', 'src', 'index.ts') : request;
    return resolveFilename.call(this, target, parent, ...rest);
  };
  process.setSourceMapsEnabled(true);
  require(path.join(pkg, 'src', 'main.ts')).cli();
}
