import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail (SPEC 6, ADR 0016): `audit_events`, append-only and hash-chained, and `audit_chain`,
 * the single-row chain head every append locks. A trigger refuses UPDATE, DELETE and TRUNCATE on
 * `audit_events` unless the transaction set `gatehouse.audit_prune = 'on'` (the retention prune does,
 * and records the pruned head in `audit_chain`); it guards against mistakes, the chain detects the rest.
 */
export class Audit1764800000000 implements MigrationInterface {
  name = 'Audit1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        seq bigint NOT NULL,
        at timestamptz NOT NULL,
        actor_id uuid NULL,
        actor_username varchar(256) NULL,
        action varchar(64) NOT NULL,
        target_type varchar(64) NOT NULL,
        target_id varchar(1024) NULL,
        target_name varchar(1024) NULL,
        result varchar(16) NOT NULL CHECK (result IN ('success', 'failure', 'denied')),
        source_address varchar(64) NULL,
        instance_id varchar(256) NOT NULL,
        changes jsonb NULL,
        count integer NULL CHECK (count IS NULL OR count > 0),
        topic text NULL,
        prev_hash varchar(64) NOT NULL,
        hash varchar(64) NOT NULL,
        CONSTRAINT uq_audit_events_seq UNIQUE (seq)
      )`);
    await q.query(`CREATE INDEX ix_audit_events_at ON audit_events (at)`);
    await q.query(`CREATE INDEX ix_audit_events_actor ON audit_events (actor_id, seq)`);
    await q.query(`CREATE INDEX ix_audit_events_target ON audit_events (target_id, seq)`);
    await q.query(`CREATE INDEX ix_audit_events_action ON audit_events (action, seq)`);
    await q.query(`
      CREATE TABLE audit_chain (
        id smallint PRIMARY KEY CHECK (id = 1),
        last_seq bigint NOT NULL,
        last_hash varchar(64) NOT NULL,
        pruned_seq bigint NOT NULL,
        pruned_hash varchar(64) NOT NULL,
        pruned_at timestamptz NULL
      )`);
    const genesis = '0'.repeat(64);
    await q.query(
      `INSERT INTO audit_chain (id, last_seq, last_hash, pruned_seq, pruned_hash) VALUES (1, 0, $1, 0, $1)`,
      [genesis],
    );
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('gatehouse.audit_prune', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_chain`);
    await q.query(`DROP TABLE IF EXISTS audit_events`);
    await q.query(`DROP FUNCTION IF EXISTS audit_events_append_only()`);
  }
}
