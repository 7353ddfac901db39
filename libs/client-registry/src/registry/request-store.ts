import type { EntityManager } from 'typeorm';
import { RegistrationRequestEntity } from '../entities';

/** Columns read for a credential comparison (the hash is selected explicitly, only here). */
const WITH_HASH = [
  'r.id',
  'r.username',
  'r.state',
  'r.source',
  'r.pairingId',
  'r.hasPassword',
  'r.passwordHash',
  'r.csrPem',
  'r.publicKeySha256',
  'r.certificatePem',
  'r.certificateFingerprint',
  'r.userId',
  'r.expiresAt',
  'r.decidedAt',
  'r.createdAt',
];

/**
 * Housekeeping before reads: pending requests past their expiry become `expired`, and password hashes
 * are dropped once nobody can use them any more (expired; rejected past expiry; granted past the grace).
 */
export async function sweepRequests(m: EntityManager, grantGraceSeconds: number): Promise<void> {
  await m.query(
    `UPDATE registration_requests SET state = 'expired', password_hash = NULL WHERE state = 'pending' AND expires_at <= now()`,
  );
  await m.query(
    `UPDATE registration_requests SET password_hash = NULL
      WHERE password_hash IS NOT NULL AND ((state = 'rejected' AND expires_at <= now())
         OR (state = 'granted' AND decided_at <= now() - ($1::text || ' seconds')::interval))`,
    [String(grantGraceSeconds)],
  );
}

/** The newest request of `username` in `state`, with its password hash. */
export async function latestWithHash(
  m: EntityManager,
  username: string,
  state: RegistrationRequestEntity['state'],
): Promise<RegistrationRequestEntity | null> {
  return m
    .getRepository(RegistrationRequestEntity)
    .createQueryBuilder('r')
    .select(WITH_HASH)
    .where('r.username = :username AND r.state = :state', { username, state })
    .orderBy('r.createdAt', 'DESC')
    .getOne();
}

/**
 * The spelling of a pending request whose username equals `username` regardless of case but is
 * spelt otherwise (usernames are unique regardless of case, SPEC 1.3); null when there is none.
 */
export async function pendingOtherSpelling(m: EntityManager, username: string): Promise<string | null> {
  const rows: { username: string }[] = await m.query(
    `SELECT username FROM registration_requests
      WHERE state = 'pending' AND lower(username) = lower($1) AND username <> $1 LIMIT 1`,
    [username],
  );
  return rows[0]?.username ?? null;
}
