import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client registry (SPEC 4, issue 4): registry state, registration requests, the Gatehouse CA (key
 * encrypted at rest) and the client certificates issued to users.
 */
export class ClientRegistry1764400000000 implements MigrationInterface {
  name = 'ClientRegistry1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE user_certificates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        fingerprint varchar(64) NOT NULL,
        serial varchar(64) NOT NULL,
        not_before timestamptz NOT NULL,
        not_after timestamptz NOT NULL,
        revoked_at timestamptz NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_user_certificates_fingerprint UNIQUE (fingerprint)
      )`);
    await q.query(`CREATE INDEX ix_user_certificates_user ON user_certificates (user_id)`);
    await q.query(`
      CREATE TABLE client_registry_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        unlocked_until timestamptz NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`INSERT INTO client_registry_state (id, unlocked_until) VALUES (1, NULL)`);
    await q.query(`
      CREATE TABLE registration_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username varchar(128) NOT NULL,
        state varchar(16) NOT NULL CHECK (state IN ('pending', 'granted', 'rejected', 'expired')),
        source varchar(8) NOT NULL CHECK (source IN ('rest', 'mqtt')),
        pairing_id char(6) NOT NULL,
        has_password boolean NOT NULL DEFAULT false,
        password_hash text NULL,
        csr_pem text NULL,
        public_key_sha256 varchar(64) NULL,
        context varchar(1024) NULL,
        requested_roles jsonb NOT NULL DEFAULT '[]',
        requested_permissions jsonb NOT NULL DEFAULT '[]',
        client_id varchar(1024) NULL,
        remote_address varchar(64) NULL,
        attempts integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        decided_at timestamptz NULL,
        decided_by uuid NULL,
        user_id uuid NULL,
        certificate_pem text NULL,
        certificate_fingerprint varchar(64) NULL
      )`);
    // At most one pending request per username: repeated attempts never create duplicates.
    await q.query(
      `CREATE UNIQUE INDEX uq_registration_requests_pending ON registration_requests (username) WHERE state = 'pending'`,
    );
    await q.query(`CREATE INDEX ix_registration_requests_state ON registration_requests (state, created_at)`);
    await q.query(`CREATE INDEX ix_registration_requests_username ON registration_requests (username)`);
    await q.query(`
      CREATE TABLE certificate_authorities (
        id varchar(32) PRIMARY KEY,
        certificate_pem text NOT NULL,
        encrypted_key_pem text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'certificate_authorities',
      'registration_requests',
      'client_registry_state',
      'user_certificates',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
