import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * LDAP single sign-on (issue 12, SPEC 1.3, 2.1a, ADR 0024). A federated user is bound to its provider,
 * not to a name: `external_issuer` (the directory, LDAP_DIRECTORY_ID) and `external_subject` (its DN,
 * as the directory spells it) identify it, unique per provider regardless of case (DNs compare without
 * regard to case for the attributes in use). `external_groups` holds the groups the directory reported
 * at the last login (lower case, each group's cn and DN); NULL for a local user. Roles get
 * `external_groups`: the directory groups (cn or DN) that confer the role.
 */
export class LdapIdentity1765200000000 implements MigrationInterface {
  name = 'LdapIdentity1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE users
        ADD COLUMN external_issuer varchar(255) NULL,
        ADD COLUMN external_subject varchar(2048) NULL,
        ADD COLUMN external_groups text[] NULL,
        ADD CONSTRAINT ck_users_identity_provider CHECK (identity_provider IN ('local', 'oidc', 'ldap')),
        ADD CONSTRAINT ck_users_external_binding CHECK (
          (identity_provider = 'local' AND external_issuer IS NULL AND external_subject IS NULL)
          OR (identity_provider <> 'local' AND external_issuer IS NOT NULL AND external_subject IS NOT NULL)
        )`);
    await q.query(`
      CREATE UNIQUE INDEX uq_users_external_subject
          ON users (identity_provider, external_issuer, lower(external_subject))
       WHERE external_subject IS NOT NULL`);
    await q.query(`ALTER TABLE roles ADD COLUMN external_groups text[] NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE roles DROP COLUMN IF EXISTS external_groups`);
    await q.query(`DROP INDEX IF EXISTS uq_users_external_subject`);
    await q.query(`
      ALTER TABLE users
        DROP CONSTRAINT IF EXISTS ck_users_external_binding,
        DROP CONSTRAINT IF EXISTS ck_users_identity_provider,
        DROP COLUMN IF EXISTS external_groups,
        DROP COLUMN IF EXISTS external_subject,
        DROP COLUMN IF EXISTS external_issuer`);
  }
}
