// Jest transformer: TypeScript through swc (decorator metadata for Nest DI), and ESM-only
// packages in node_modules (Nest 12, aedes 1.x, jose…) down to CommonJS, because Jest on
// Node 20 cannot require() an ES module. CommonJS files in node_modules pass through untouched.
'use strict';
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
});

const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)/m;
const isPassThrough = (src, filename) =>
  filename.includes('/node_modules/') && !filename.endsWith('.mjs') && !ESM_SYNTAX.test(src);

module.exports = {
  canInstrument: false,
  process(src, filename, options) {
    if (isPassThrough(src, filename)) return { code: src };
    return swc.process(src, filename, options);
  },
  getCacheKey(src, filename, options) {
    return 'gh1' + (isPassThrough(src, filename) ? 'raw' : '') + swc.getCacheKey(src, filename, options);
  },
};
