import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

/** A login started at the provider and not finished yet (ADR 0023). */
export interface OidcLoginAttempt {
  stateHash: Buffer;
  /** SHA-256 of the value of the cookie set on the browser that started it. */
  browserHash: Buffer;
  nonce: string;
  codeVerifier: string;
  expiresAt: Date;
}

/** What taking an attempt found: the attempt, or why there is none to use. */
export type TakenAttempt =
  | { kind: 'ok'; attempt: OidcLoginAttempt }
  | { kind: 'expired' }
  /** Unknown state: never issued here, or already used (a replay). */
  | { kind: 'unknown' };

/**
 * `oidc_login_attempts` and `oidc_refresh_tokens` (ADR 0023): the pending state / nonce / PKCE verifier
 * of a login, taken exactly once by its callback on whichever instance it reaches; and the sealed
 * provider refresh token of a Gatehouse login token.
 */
@Injectable()
export class OidcSessionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Stores a new attempt, dropping expired ones on the way (no separate sweeper is needed). */
  async insertAttempt(a: OidcLoginAttempt): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM oidc_login_attempts WHERE expires_at < now() - interval '1 hour'`,
    );
    await this.dataSource.query(
      `INSERT INTO oidc_login_attempts (state_hash, browser_hash, nonce, code_verifier, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [a.stateHash, a.browserHash, a.nonce, a.codeVerifier, a.expiresAt],
    );
  }

  /**
   * Deletes and returns the attempt of `stateHash`: one DELETE … RETURNING, so two callbacks with the same
   * state (a replay, or two instances) cannot both take it. An expired one is taken too, and reported so.
   */
  async takeAttempt(stateHash: Buffer): Promise<TakenAttempt> {
    type Row = {
      state_hash: Buffer;
      browser_hash: Buffer;
      nonce: string;
      code_verifier: string;
      expires_at: Date;
      expired: boolean;
    };
    // TypeORM answers a DELETE … RETURNING on PostgreSQL as [rows, affected]
    const [rows]: [Row[], number] = await this.dataSource.query(
      `DELETE FROM oidc_login_attempts WHERE state_hash = $1
       RETURNING state_hash, browser_hash, nonce, code_verifier, expires_at, expires_at <= now() AS expired`,
      [stateHash],
    );
    const r = rows[0];
    if (!r) return { kind: 'unknown' };
    if (r.expired) return { kind: 'expired' };
    return {
      kind: 'ok',
      attempt: {
        stateHash: Buffer.from(r.state_hash),
        browserHash: Buffer.from(r.browser_hash),
        nonce: r.nonce,
        codeVerifier: r.code_verifier,
        expiresAt: new Date(r.expires_at),
      },
    };
  }

  /** Keeps the sealed provider refresh token of a Gatehouse token (replacing one it had). */
  async saveRefreshToken(tokenId: string, sealed: Buffer): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO oidc_refresh_tokens (token_id, refresh_token) VALUES ($1, $2)
       ON CONFLICT (token_id) DO UPDATE SET refresh_token = EXCLUDED.refresh_token, created_at = now()`,
      [tokenId, sealed],
    );
  }

  /** The sealed provider refresh token of a Gatehouse token, or null. */
  async findRefreshToken(tokenId: string): Promise<Buffer | null> {
    const rows: { refresh_token: Buffer }[] = await this.dataSource.query(
      `SELECT refresh_token FROM oidc_refresh_tokens WHERE token_id = $1`,
      [tokenId],
    );
    return rows[0] ? Buffer.from(rows[0].refresh_token) : null;
  }

  /** Forgets the provider refresh token of a Gatehouse token (refused, or moved to a new token). */
  async deleteRefreshToken(tokenId: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM oidc_refresh_tokens WHERE token_id = $1`, [tokenId]);
  }
}
