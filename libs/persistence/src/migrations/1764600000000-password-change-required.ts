import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A generated initial password must be changed at the first login (ASVS 6.4.1, ADR 0010):
 * `users.password_change_required` marks the user until its password is changed. (`tokens.last_used_at`
 * exists since the first migration; it is now written, see ADR 0009.)
 */
export class PasswordChangeRequired1764600000000 implements MigrationInterface {
  name = 'PasswordChangeRequired1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE users ADD COLUMN IF NOT EXISTS password_change_required boolean NOT NULL DEFAULT false`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS password_change_required`);
  }
}
