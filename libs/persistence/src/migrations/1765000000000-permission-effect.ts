import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Policy v2 (issue 11, SPEC 1.1, 1.4.6-7): a permission's `effect` (`allow`, the default, or `deny`) and,
 * on an mqtt allow with write, its QoS and retain limits (`max_qos`, `retain`; NULL = no limit). The
 * checks repeat the rules the API validates, so that no stored row can mean something else.
 */
export class PermissionEffect1765000000000 implements MigrationInterface {
  name = 'PermissionEffect1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE permissions
        ADD COLUMN effect varchar(8) NOT NULL DEFAULT 'allow',
        ADD COLUMN max_qos smallint NULL,
        ADD COLUMN retain boolean NULL,
        ADD CONSTRAINT ck_permissions_effect CHECK (effect IN ('allow', 'deny')),
        ADD CONSTRAINT ck_permissions_max_qos CHECK (max_qos IS NULL OR max_qos BETWEEN 0 AND 2),
        ADD CONSTRAINT ck_permissions_limits CHECK (
          (max_qos IS NULL AND retain IS NULL)
          OR (context = 'mqtt' AND effect = 'allow' AND operation IN ('write', 'readWrite'))
        )`);
  }

  async down(q: QueryRunner): Promise<void> {
    // A deny cannot be expressed without `effect`: dropping the column would turn it into an allow.
    await q.query(`DELETE FROM permissions WHERE effect = 'deny'`);
    await q.query(`
      ALTER TABLE permissions
        DROP CONSTRAINT IF EXISTS ck_permissions_limits,
        DROP CONSTRAINT IF EXISTS ck_permissions_max_qos,
        DROP CONSTRAINT IF EXISTS ck_permissions_effect,
        DROP COLUMN IF EXISTS retain,
        DROP COLUMN IF EXISTS max_qos,
        DROP COLUMN IF EXISTS effect`);
  }
}
