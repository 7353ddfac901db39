import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Policy as code (issue 13, ADR 0028): `policy_bootstrap` records that `GATEHOUSE_BOOTSTRAP_FILE` was
 * applied, so that it is applied once, at the first start, and never again (at most one row; inserted in
 * the transaction of that apply). The file's SHA-256 and the apply's summary are kept for the operator.
 */
export class PolicyBootstrap1765400000000 implements MigrationInterface {
  name = 'PolicyBootstrap1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE policy_bootstrap (
        id smallint PRIMARY KEY CHECK (id = 1),
        file_sha256 varchar(64) NOT NULL,
        summary jsonb NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS policy_bootstrap`);
  }
}
