// Removes the PGlite template made by jest-global-setup.js.
'use strict';
const fs = require('node:fs');

module.exports = async function globalTeardown() {
  const dir = globalThis.__gatehousePgliteTemplateDir;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
