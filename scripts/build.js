#!/usr/bin/env node
// Compiles apps/ and libs/ (TypeScript) to dist/ with swc, rewriting the @gatehouse/* path
// aliases to relative requires. Type checking is `npm run typecheck` (tsc), run by lint and CI.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist');
const base = JSON.parse(fs.readFileSync(path.join(root, '.swcrc'), 'utf8'));
const tsconfig = JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8'));

function* walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts') && !/\.(spec|e2e-spec|int-spec)\.ts$/.test(p)) yield p;
  }
}

function* walkAll(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walkAll(p);
    else yield p;
  }
}

async function main() {
  const started = Date.now();
  let n = 0;
  for (const top of ['apps', 'libs']) {
    const dir = path.join(root, top);
    if (!fs.existsSync(dir)) continue;
    for (const file of walk(dir)) {
      const rel = path.relative(root, file);
      const target = path.join(out, rel.replace(/\.ts$/, '.js'));
      const { code, map } = await swc.transformFile(file, {
        ...base,
        swcrc: false,
        filename: file,
        sourceFileName: path.relative(path.dirname(target), file),
        jsc: { ...base.jsc, baseUrl: root, paths: tsconfig.compilerOptions.paths },
      });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, code + `\n//# sourceMappingURL=${path.basename(target)}.map\n`);
      if (map) fs.writeFileSync(target + '.map', map);
      n++;
    }
  }
  // JSON Schemas imported by the code (the policy document's, ADR 0028) go next to the compiled files
  for (const top of ['apps', 'libs']) {
    const dir = path.join(root, top);
    if (!fs.existsSync(dir)) continue;
    for (const file of walkAll(dir)) {
      if (!file.endsWith('.schema.json')) continue;
      const target = path.join(out, path.relative(root, file));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.copyFileSync(file, target);
    }
  }
  if (process.env.BUILD_VERBOSE) console.log(`built ${n} files in ${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error('build failed:', err && err.message ? err.message : err);
  process.exit(1);
});
