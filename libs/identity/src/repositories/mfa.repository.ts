import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { inTransaction } from '@gatehouse/persistence';
import { DataSource, type EntityManager } from 'typeorm';

/** A user's TOTP enrolment as stored: the sealed secret never leaves the identity lib. */
export interface MfaRow {
  /** AES-256-GCM box of the TOTP secret (MfaCipher). */
  sealedSecret: Buffer;
  /** Null while the enrolment is started but not confirmed. */
  confirmedAt: Date | null;
}

/** What login and the token check need to know about a user's MFA. */
export interface MfaState {
  /** MFA confirmed (codes are required). */
  enrolled: boolean;
  /** `enforceMFAEnrollment` set on the user. */
  enforced: boolean;
}

/** All SQL of MFA (tables `user_mfa` and `mfa_backup_codes`, migration 1764700000000). */
@Injectable()
export class MfaRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async state(userId: string): Promise<MfaState> {
    const rows: { enrolled: boolean; enforced: boolean }[] = await this.dataSource.query(
      `SELECT m.confirmed_at IS NOT NULL AS enrolled, u.enforce_mfa_enrollment AS enforced
         FROM users u LEFT JOIN user_mfa m ON m.user_id = u.id WHERE u.id = $1`,
      [userId],
    );
    return { enrolled: rows[0]?.enrolled ?? false, enforced: rows[0]?.enforced ?? false };
  }

  async find(userId: string): Promise<MfaRow | null> {
    const rows: { sealed_secret: Buffer; confirmed_at: Date | null }[] = await this.dataSource.query(
      `SELECT sealed_secret, confirmed_at FROM user_mfa WHERE user_id = $1`,
      [userId],
    );
    const r = rows[0];
    return r ? { sealedSecret: Buffer.from(r.sealed_secret), confirmedAt: r.confirmed_at } : null;
  }

  /** Starts (or restarts) an enrolment; refuses (false) while a confirmed one exists. */
  async startPending(userId: string, sealedSecret: Buffer): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `INSERT INTO user_mfa (user_id, sealed_secret) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET sealed_secret = EXCLUDED.sealed_secret, last_used_step = NULL,
              created_at = now()
        WHERE user_mfa.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, sealedSecret],
    );
    return rows.length === 1;
  }

  /**
   * Records `step` as the last TOTP step used, atomically: false when a step at or after it was used
   * already (replay, also by a concurrent request on another admin-api instance).
   */
  async useStep(userId: string, step: number): Promise<boolean> {
    const rows = rowsOf(
      await this.dataSource.query(
        `UPDATE user_mfa SET last_used_step = $2
        WHERE user_id = $1 AND (last_used_step IS NULL OR last_used_step < $2) RETURNING user_id`,
        [userId, step],
      ),
    );
    return rows.length === 1;
  }

  /** Marks an unused backup code used, atomically: false when there is none with this hash. */
  async useBackupCode(userId: string, codeHash: Buffer): Promise<boolean> {
    const rows = rowsOf(
      await this.dataSource.query(
        `UPDATE mfa_backup_codes SET used_at = now()
        WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING id`,
        [userId, codeHash],
      ),
    );
    return rows.length === 1;
  }

  async unusedBackupCodes(userId: string): Promise<number> {
    const rows: { n: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NULL`,
      [userId],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * Confirms the pending enrolment with its backup codes, and revokes every token of the user but
   * `keepTokenId` (ASVS 7.4.3), in one transaction. False when nothing was pending.
   */
  confirm(userId: string, codeHashes: Buffer[], keepTokenId: string): Promise<boolean> {
    return inTransaction(this.dataSource, async (m) => {
      const rows = rowsOf(
        await m.query(
          `UPDATE user_mfa SET confirmed_at = now() WHERE user_id = $1 AND confirmed_at IS NULL RETURNING user_id`,
          [userId],
        ),
      );
      if (rows.length !== 1) return false;
      await replaceCodes(m, userId, codeHashes);
      await revokeTokens(m, userId, keepTokenId);
      return true;
    });
  }

  /** Replaces the backup codes of a confirmed enrolment. */
  replaceBackupCodes(userId: string, codeHashes: Buffer[]): Promise<void> {
    return inTransaction(this.dataSource, (m) => replaceCodes(m, userId, codeHashes));
  }

  /**
   * Removes the enrolment (pending or confirmed) and its backup codes, and revokes the user's tokens
   * but `keepTokenId`, in one transaction. False when there was nothing to remove (nothing revoked).
   */
  remove(userId: string, keepTokenId?: string): Promise<boolean> {
    return inTransaction(this.dataSource, async (m) => {
      await m.query(`DELETE FROM mfa_backup_codes WHERE user_id = $1`, [userId]);
      const rows = rowsOf<{ confirmed: boolean }>(
        await m.query(
          `DELETE FROM user_mfa WHERE user_id = $1 RETURNING confirmed_at IS NOT NULL AS confirmed`,
          [userId],
        ),
      );
      if (rows.length === 0) return false;
      if (rows[0].confirmed) await revokeTokens(m, userId, keepTokenId);
      return true;
    });
  }
}

async function replaceCodes(m: EntityManager, userId: string, codeHashes: Buffer[]): Promise<void> {
  await m.query(`DELETE FROM mfa_backup_codes WHERE user_id = $1`, [userId]);
  await m.query(
    `INSERT INTO mfa_backup_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::bytea[]) AS h`,
    [userId, codeHashes],
  );
}

async function revokeTokens(
  m: EntityManager,
  userId: string,
  keepTokenId: string | undefined,
): Promise<void> {
  await m.query(
    `UPDATE tokens SET revoked_at = now()
      WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)`,
    [userId, keepTokenId ?? null],
  );
}

/** TypeORM's PostgreSQL driver answers `[rows, affected]` for UPDATE and DELETE, the rows otherwise. */
function rowsOf<T = unknown>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}
