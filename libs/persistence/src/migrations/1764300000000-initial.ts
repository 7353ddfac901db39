import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, roles, permissions, tokens, signing keys; seeds the built-in roles (SPEC 1.2). */
export class Initial1764300000000 implements MigrationInterface {
  name = 'Initial1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username varchar(128) NOT NULL,
        password_hash text NULL,
        identity_provider varchar(32) NOT NULL DEFAULT 'local',
        grant_types jsonb NOT NULL DEFAULT '[{"method":"password","isRequired":false}]',
        enabled boolean NOT NULL DEFAULT true,
        mqtt_publish_prefix varchar(1024) NULL,
        enforce_mfa_enrollment boolean NOT NULL DEFAULT false,
        permissions_version integer NOT NULL DEFAULT 0,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz NULL,
        CONSTRAINT uq_users_username UNIQUE (username)
      )`);
    await q.query(`
      CREATE TABLE roles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(64) NOT NULL,
        description varchar(1024) NULL,
        built_in boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_roles_name UNIQUE (name)
      )`);
    await q.query(`
      CREATE TABLE permissions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        role_id uuid NULL REFERENCES roles(id) ON DELETE CASCADE,
        user_id uuid NULL REFERENCES users(id) ON DELETE CASCADE,
        context varchar(8) NOT NULL CHECK (context IN ('mqtt', 'http')),
        resource text NOT NULL,
        operation varchar(16) NOT NULL CHECK (operation IN ('read', 'write', 'readWrite')),
        position integer NOT NULL DEFAULT 0,
        CONSTRAINT ck_permissions_owner CHECK ((role_id IS NULL) <> (user_id IS NULL))
      )`);
    await q.query(`CREATE INDEX ix_permissions_role ON permissions (role_id)`);
    await q.query(`CREATE INDEX ix_permissions_user ON permissions (user_id)`);
    await q.query(`CREATE INDEX ix_permissions_triple ON permissions (context, resource, operation)`);
    await q.query(`
      CREATE TABLE user_roles (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role_id uuid NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, role_id)
      )`);
    await q.query(`CREATE INDEX ix_user_roles_role ON user_roles (role_id)`);
    await q.query(`
      CREATE TABLE tokens (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        label varchar(128) NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz NULL,
        last_used_at timestamptz NULL
      )`);
    await q.query(`CREATE INDEX ix_tokens_user ON tokens (user_id)`);
    await q.query(`
      CREATE TABLE signing_keys (
        id varchar(64) PRIMARY KEY,
        algorithm varchar(16) NOT NULL,
        public_jwk jsonb NOT NULL,
        private_jwk jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      INSERT INTO roles (id, name, description, built_in) VALUES
        ('00000000-0000-4000-8000-000000000001', 'admin', 'Everything: every MQTT topic and every HTTP endpoint.', true),
        ('00000000-0000-4000-8000-000000000002', 'minimum-access', 'May read its own profile and nothing else.', true)`);
    await q.query(`
      INSERT INTO permissions (role_id, context, resource, operation, position) VALUES
        ('00000000-0000-4000-8000-000000000001', 'mqtt', '#', 'readWrite', 0),
        ('00000000-0000-4000-8000-000000000001', 'http', '/#', 'readWrite', 1),
        ('00000000-0000-4000-8000-000000000002', 'http', '/api/me', 'read', 0)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['signing_keys', 'tokens', 'user_roles', 'permissions', 'roles', 'users']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
