import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * OpenID Connect single sign-on (issue 12, SPEC 2.1a, ADR 0023).
 * - `oidc_login_attempts`: a login started at `GET /api/auth/oidc/login` and not finished yet. Keyed by
 *   the SHA-256 of its `state`; the browser that started it is named by the SHA-256 of a cookie value.
 *   A row is taken (deleted) by the callback that uses it, so a state works once on every instance;
 *   `expires_at` bounds how long the browser may stay at the provider.
 * - `oidc_refresh_tokens`: the provider's refresh token of a Gatehouse login token, sealed (AES-256-GCM
 *   under a key derived from the MFA key, the token id as associated data); it goes with its token.
 * - The users' binding index: an OIDC `sub` is case-sensitive (OIDC Core 2: "locally unique and never
 *   reassigned", compared as a string), an LDAP DN is not; the index compares each as its provider does.
 */
export class Oidc1765300000000 implements MigrationInterface {
  name = 'Oidc1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE oidc_login_attempts (
        state_hash bytea PRIMARY KEY,
        browser_hash bytea NOT NULL,
        nonce varchar(128) NOT NULL,
        code_verifier varchar(128) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX ix_oidc_login_attempts_expires ON oidc_login_attempts (expires_at)`);
    await q.query(`
      CREATE TABLE oidc_refresh_tokens (
        token_id uuid PRIMARY KEY REFERENCES tokens(id) ON DELETE CASCADE,
        refresh_token bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`DROP INDEX IF EXISTS uq_users_external_subject`);
    await q.query(`
      CREATE UNIQUE INDEX uq_users_external_subject
          ON users (identity_provider, external_issuer,
                    (CASE WHEN identity_provider = 'ldap' THEN lower(external_subject) ELSE external_subject END))
       WHERE external_subject IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS uq_users_external_subject`);
    await q.query(`
      CREATE UNIQUE INDEX uq_users_external_subject
          ON users (identity_provider, external_issuer, lower(external_subject))
       WHERE external_subject IS NOT NULL`);
    await q.query(`DROP TABLE IF EXISTS oidc_refresh_tokens`);
    await q.query(`DROP TABLE IF EXISTS oidc_login_attempts`);
  }
}
