#!/usr/bin/env node
// Writes openapi.json from the running code (an in-memory admin-api on a free port). The
// committed file is checked against the generated one by test/admin-api/openapi.e2e-spec.ts.
'use strict';
const { execFileSync } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
execFileSync(process.execPath, [path.join(root, 'scripts/build.js')], { stdio: 'inherit' });
const { createAdminApi } = require(path.join(root, 'dist/apps/admin-api/src/bootstrap.js'));

(async () => {
  const api = await createAdminApi(
    {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      DATA_DIR: 'memory://',
      TRANSPORT_URL: 'tcp://127.0.0.1:0',
      ADMIN_PASSWORD: 'openapi-generation-only',
    },
    { logger: ['error'] },
  );
  try {
    const res = await fetch(`${api.httpUrl}/api/openapi.json`);
    const doc = await res.json();
    writeFileSync(path.join(root, 'openapi.json'), JSON.stringify(doc, null, 2) + '\n');
    console.log(`openapi.json written (${Object.keys(doc.paths).length} paths)`);
  } finally {
    await api.close();
  }
})().catch((err) => {
  console.error('openapi generation failed:', err);
  process.exit(1);
});
