// Jest global setup: one freshly initialised PGlite cluster, dumped to a tarball, which every
// in-memory test database then starts from (GATEHOUSE_PGLITE_TEMPLATE, libs/persistence
// embedded-postgres.ts) instead of running initdb in WASM once per suite. Workers inherit the variable.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async function globalSetup() {
  if (process.env.GATEHOUSE_PGLITE_TEMPLATE) return; // given by the caller: use it as it is
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create('memory://');
  try {
    const tarball = await db.dumpDataDir('none');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pglite-'));
    const file = path.join(dir, 'initdb.tar');
    fs.writeFileSync(file, Buffer.from(await tarball.arrayBuffer()));
    process.env.GATEHOUSE_PGLITE_TEMPLATE = file;
    globalThis.__gatehousePgliteTemplateDir = dir;
  } finally {
    await db.close();
  }
};
