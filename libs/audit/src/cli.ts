import 'reflect-metadata';
import { CliUsageError, withCliDataSource } from '@gatehouse/persistence';
import { AuditRepository } from './audit.repository';
import type { AuditVerification } from './audit.types';
import { verifyChain } from './verify-chain';

/**
 * `npm run audit:verify` (dist/libs/audit/src/cli.js): walks the audit chain of the database admin-api
 * uses (`DATABASE_URL`, or the embedded PGlite in `DATA_DIR`; stop admin-api first for the embedded one)
 * and exits 0 when it is intact, 1 naming the first broken event, 2 on a usage error.
 */
export async function runAuditVerify(
  env: Record<string, string | undefined>,
  log: (line: string) => void = (l) => console.log(l),
): Promise<{ code: number; result: AuditVerification }> {
  return withCliDataSource(env, async (ds) => {
    const result = await verifyChain(new AuditRepository(ds));
    const from =
      result.prunedThroughSeq > 0 ? ` (after event ${result.prunedThroughSeq}, pruned by retention)` : '';
    if (result.ok) log(`audit chain ok: ${result.checked} events checked${from}`);
    else
      log(
        `audit chain BROKEN after ${result.checked} good events${from}: ${
          result.firstBrokenId
            ? `first broken event ${result.firstBrokenId} (seq ${result.firstBrokenSeq}): `
            : ''
        }${result.reason}`,
      );
    return { code: result.ok ? 0 : 1, result };
  });
}

if (require.main === module) {
  runAuditVerify(process.env).then(
    ({ code }) => process.exit(code),
    (err: unknown) => {
      console.error(
        `audit:verify: ${err instanceof CliUsageError ? '' : 'failed: '}${err instanceof Error ? err.message : String(err)}`,
      );
      process.exit(err instanceof CliUsageError ? 2 : 1);
    },
  );
}
