/**
 * admin-api in a process of its own, for suites that need several (test/services/audit-chain-two-processes):
 * `node bench/run-ts.js test/support/admin-api-process.ts` with admin-api's environment. Prints one JSON
 * line `{httpUrl}` once it listens; SIGTERM closes it.
 */
import { createAdminApi } from '../../apps/admin-api/src/bootstrap';

createAdminApi(process.env, { logger: ['error'] }).then(
  (api) => {
    process.stdout.write(`${JSON.stringify({ httpUrl: api.httpUrl })}\n`);
    process.once('SIGTERM', () => void api.close().then(() => process.exit(0)));
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
