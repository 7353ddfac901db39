#!/usr/bin/env node
'use strict';
// placeholder until the CLI lands (issue 13)
console.error('gatehouse: not built yet');
process.exit(1);
