import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Role history (issue 11, SPEC 2.3, ADR 0021): `role_versions`, one row per saved state of a role
 * (1, 2, … per role), each a full snapshot (name, description, permissions as the API shows them) with
 * who made it, when, how (`create`, `update`, `rollback`, `backfill`) and the diff to the version
 * before. Rows are written in the transaction of the role write; a rollback adds a row, never
 * rewrites one. Every role that exists now gets its version 1 from its current content (backfill).
 */
export class RoleVersions1765100000000 implements MigrationInterface {
  name = 'RoleVersions1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE role_versions (
        role_id uuid NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        name varchar(64) NOT NULL,
        description varchar(1024) NULL,
        permissions jsonb NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('create', 'update', 'rollback', 'backfill')),
        rolled_back_to integer NULL,
        changes jsonb NULL,
        actor_id uuid NULL,
        actor_username varchar(256) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (role_id, version),
        CONSTRAINT ck_role_versions_rollback CHECK ((kind = 'rollback') = (rolled_back_to IS NOT NULL))
      )`);
    // The history starts at the current content of every existing role.
    await q.query(`
      INSERT INTO role_versions (role_id, version, name, description, permissions, kind, created_at)
      SELECT r.id, 1, r.name, r.description,
             COALESCE((SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                         'context', p.context, 'resource', p.resource, 'operation', p.operation,
                         'effect', p.effect, 'maxQos', p.max_qos, 'retain', p.retain)) ORDER BY p.position)
                         FROM permissions p WHERE p.role_id = r.id), '[]'::jsonb),
             'backfill', r.updated_at
        FROM roles r`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS role_versions`);
  }
}
