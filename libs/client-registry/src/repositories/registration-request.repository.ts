import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isPgError, managerOf, PgErrorCodes, type Transaction } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import { RegistrationRequestEntity, type RegistrationState } from '../entities';

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

/** What a new pending request carries (the rest take their defaults). */
export type NewRegistrationRequest = Partial<RegistrationRequestEntity> &
  Pick<RegistrationRequestEntity, 'username' | 'source' | 'pairingId' | 'hasPassword' | 'expiresAt'>;

/** What a grant records on the request. */
export interface GrantRecord {
  decidedBy: string;
  userId: string;
  certificatePem: string | null;
  certificateFingerprint: string | null;
}

/** The `registration_requests` table (SPEC 4). The password hash is read only by the methods that say so. */
@Injectable()
export class RegistrationRequestRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Housekeeping before reads: pending requests past their expiry become `expired`, and password hashes
   * are dropped once nobody can use them any more (expired; rejected past expiry; granted more than
   * `grantGraceSeconds` ago).
   */
  async sweep(grantGraceSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE registration_requests SET state = 'expired', password_hash = NULL WHERE state = 'pending' AND expires_at <= now()`,
    );
    await this.dataSource.query(
      `UPDATE registration_requests SET password_hash = NULL
        WHERE password_hash IS NOT NULL AND ((state = 'rejected' AND expires_at <= now())
           OR (state = 'granted' AND decided_at <= now() - ($1::text || ' seconds')::interval))`,
      [String(grantGraceSeconds)],
    );
  }

  /** The newest request of `username` (exact spelling) in `state`, with its password hash. */
  findLatestWithHash(username: string, state: RegistrationState): Promise<RegistrationRequestEntity | null> {
    return this.dataSource
      .getRepository(RegistrationRequestEntity)
      .createQueryBuilder('r')
      .select(WITH_HASH)
      .where('r.username = :username AND r.state = :state', { username, state })
      .orderBy('r.createdAt', 'DESC')
      .getOne();
  }

  /**
   * The spelling of a pending request whose username equals `username` regardless of case but is
   * spelt otherwise; null when there is none.
   */
  async findPendingOtherSpelling(username: string): Promise<string | null> {
    const rows: { username: string }[] = await this.dataSource.query(
      `SELECT username FROM registration_requests
        WHERE state = 'pending' AND lower(username) = lower($1) AND username <> $1 LIMIT 1`,
      [username],
    );
    return rows[0]?.username ?? null;
  }

  async countPending(): Promise<number> {
    const rows: { n: string }[] = await this.dataSource.query(
      `SELECT count(*) AS n FROM registration_requests WHERE state = 'pending'`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Requests per state, a pending request past its expiry counted as `expired` without being swept
   * (read-only, for the metrics scrape).
   */
  async countByState(): Promise<{ state: RegistrationState; n: number }[]> {
    const rows: { state: RegistrationState; n: number }[] = await this.dataSource.query(
      `SELECT CASE WHEN state = 'pending' AND expires_at <= now() THEN 'expired' ELSE state END AS state,
              count(*)::int AS n
         FROM registration_requests GROUP BY 1`,
    );
    return rows.map((r) => ({ state: r.state, n: Number(r.n) }));
  }

  /**
   * Inserts a pending request; null when a pending request for the username (regardless of case) exists
   * already (the unique index decides, so concurrent inserts cannot both win).
   */
  async insertPending(values: NewRegistrationRequest): Promise<RegistrationRequestEntity | null> {
    const repo = this.dataSource.getRepository(RegistrationRequestEntity);
    try {
      const row = repo.create({ ...values, state: 'pending' });
      await repo.insert(row);
      return row;
    } catch (err) {
      if (isPgError(err, PgErrorCodes.UNIQUE_VIOLATION)) return null;
      throw err;
    }
  }

  /** A poll: one more attempt, seen now, from `ip` (kept when unknown). */
  async recordAttempt(id: string, ip: string | undefined): Promise<void> {
    await this.dataSource.query(
      `UPDATE registration_requests SET attempts = attempts + 1, last_seen_at = now(), remote_address = COALESCE($2, remote_address) WHERE id = $1`,
      [id, ip ?? null],
    );
  }

  /** The request (without its hash); `id` must be a canonical uuid. */
  findById(id: string): Promise<RegistrationRequestEntity | null> {
    return this.dataSource.getRepository(RegistrationRequestEntity).findOne({ where: { id } });
  }

  /**
   * A page, newest first (by creation, then id): only `state` when given, before the (createdAt, id)
   * of `before`, at most `limit`.
   */
  list(q: {
    state?: RegistrationState;
    before?: { createdAt: string; id: string };
    limit: number;
  }): Promise<RegistrationRequestEntity[]> {
    const qb = this.dataSource
      .getRepository(RegistrationRequestEntity)
      .createQueryBuilder('r')
      .orderBy('r.createdAt', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .take(q.limit);
    if (q.state) qb.andWhere('r.state = :state', { state: q.state });
    if (q.before)
      qb.andWhere('(r.createdAt, r.id) < (:at, :id)', { at: q.before.createdAt, id: q.before.id });
    return qb.getMany();
  }

  /**
   * Inside `tx`: the request with its password hash, locked (`FOR UPDATE`) until the transaction ends,
   * so that two decisions on one request run one after the other. `id` must be a canonical uuid.
   */
  lockForUpdate(id: string, tx: Transaction): Promise<RegistrationRequestEntity | null> {
    return managerOf(this.dataSource, tx)
      .getRepository(RegistrationRequestEntity)
      .createQueryBuilder('r')
      .addSelect('r.passwordHash')
      .where('r.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  async markGranted(id: string, grant: GrantRecord, tx?: Transaction): Promise<void> {
    await managerOf(this.dataSource, tx).query(
      `UPDATE registration_requests SET state = 'granted', decided_at = now(), decided_by = $2, user_id = $3,
              certificate_pem = $4, certificate_fingerprint = $5 WHERE id = $1`,
      [id, grant.decidedBy, grant.userId, grant.certificatePem, grant.certificateFingerprint],
    );
  }

  async markRejected(id: string, decidedBy: string, tx?: Transaction): Promise<void> {
    await managerOf(this.dataSource, tx).query(
      `UPDATE registration_requests SET state = 'rejected', decided_at = now(), decided_by = $2 WHERE id = $1`,
      [id, decidedBy],
    );
  }
}
