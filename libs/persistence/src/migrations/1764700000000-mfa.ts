import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * TOTP MFA (SPEC 2.1, ADR 0020): one enrolment per user (its secret sealed with AES-256-GCM, pending
 * until confirmed, with the last time step used against replay) and its single-use backup codes,
 * stored as keyed hashes. Both go with the user.
 */
export class Mfa1764700000000 implements MigrationInterface {
  name = 'Mfa1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_mfa (
        user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        sealed_secret bytea NOT NULL,
        confirmed_at timestamptz NULL,
        last_used_step bigint NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE mfa_backup_codes (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash bytea NOT NULL,
        used_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX ix_mfa_backup_codes_user ON mfa_backup_codes (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS mfa_backup_codes`);
    await q.query(`DROP TABLE IF EXISTS user_mfa`);
  }
}
