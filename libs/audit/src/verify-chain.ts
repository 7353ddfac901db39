import type { AuditRepository } from './audit.repository';
import type { AuditVerification } from './audit.types';
import { eventHash } from './canonical';

const BATCH = 1000;

/**
 * The chain check of `GET /api/audit-events/verify` and `npm run audit:verify`: from the pruned head
 * (the genesis when nothing was pruned) to the chain head read at the start, every event must follow
 * the previous one (`seq` + 1), carry its hash as `prevHash`, and hash to its `hash`. The first event
 * that does not is named; a chain that ends before the head says so (events removed at the end).
 */
export async function verifyChain(
  repository: Pick<AuditRepository, 'head' | 'walk'>,
): Promise<AuditVerification> {
  const head = await repository.head();
  let prev = head.prunedHash;
  let seq = head.prunedSeq;
  let checked = 0;
  const base = { startHash: head.prunedHash, prunedThroughSeq: head.prunedSeq };
  for (;;) {
    const rows = await repository.walk(seq, head.lastSeq, BATCH);
    for (const e of rows) {
      const broken = (reason: string): AuditVerification => ({
        ok: false,
        checked,
        firstBrokenId: e.id,
        firstBrokenSeq: e.seq,
        reason,
        ...base,
      });
      if (e.seq !== seq + 1) return broken(`event ${e.seq} follows event ${seq}: events are missing`);
      if (e.prevHash !== prev) return broken(`event ${e.seq}: prevHash is not the hash of event ${seq}`);
      if (eventHash(e, e.prevHash) !== e.hash)
        return broken(`event ${e.seq}: its hash does not match its content`);
      checked += 1;
      prev = e.hash;
      seq = e.seq;
    }
    if (rows.length < BATCH) break;
  }
  if (seq !== head.lastSeq || prev !== head.lastHash) {
    return {
      ok: false,
      checked,
      reason: `the chain ends at event ${seq} but its head names event ${head.lastSeq}: events are missing at the end`,
      ...base,
    };
  }
  return { ok: true, checked, ...base };
}
