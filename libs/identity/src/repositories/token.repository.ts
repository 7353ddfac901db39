import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, readQuery, type Transaction } from '@gatehouse/persistence';
import { type DataSource, IsNull, Not } from 'typeorm';
import { type GrantType, TokenEntity } from '../entities';

/** A token that may be used, with what the token check needs of its user. */
export interface UsableTokenRow {
  id: string;
  user_id: string;
  username: string;
  permissions_version: number;
  /** A labelled (long-lived API) token; otherwise the session token of a password login. */
  labelled: boolean;
  grant_types: GrantType[];
  expires_at: Date;
  password_change_required: boolean;
  /** `enforceMFAEnrollment` and no confirmed MFA yet (ADR 0020). */
  mfa_enrollment_required: boolean;
}

/** The kinds of tokens of a user to revoke at once. */
export interface TokenKinds {
  /** Tokens without a label: products of a password login. */
  login: boolean;
  /** Labelled (long-lived API) tokens. */
  labelled: boolean;
}

/** The `tokens` table: every issued access token (its `jti`). */
@Injectable()
export class TokenRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(token: { id: string; userId: string; label: string | null; expiresAt: Date }): Promise<void> {
    await this.dataSource.getRepository(TokenEntity).insert(token);
  }

  /**
   * The tokens among `ids` that may be used now: not revoked, not expired, their user enabled (decided in
   * SQL, so any other token returns no row). Straight on the pool: the token check of every request.
   * The ids must be canonical uuids (`isCanonicalUuid`).
   */
  findUsable(ids: readonly string[]): Promise<UsableTokenRow[]> {
    return readQuery<UsableTokenRow>(
      this.dataSource,
      `SELECT t.id, t.user_id, u.username, u.permissions_version, t.label IS NOT NULL AS labelled,
                u.grant_types, t.expires_at, u.password_change_required,
                u.enforce_mfa_enrollment AND NOT EXISTS (SELECT 1 FROM user_mfa m
                  WHERE m.user_id = u.id AND m.confirmed_at IS NOT NULL) AS mfa_enrollment_required
           FROM tokens t JOIN users u ON u.id = t.user_id
          WHERE t.id = ANY($1::uuid[]) AND t.revoked_at IS NULL AND t.expires_at > now() AND u.enabled`,
      [ids],
    );
  }

  /** The user's labelled tokens, newest first (revoked and expired ones included). */
  findLabelled(userId: string): Promise<TokenEntity[]> {
    return this.dataSource.getRepository(TokenEntity).find({
      where: { userId, label: Not(IsNull()) },
      order: { createdAt: 'DESC' },
    });
  }

  /** Revokes one token of the user; false when it is not the user's or was already revoked. */
  async revoke(userId: string, tokenId: string): Promise<boolean> {
    const res = await this.dataSource
      .getRepository(TokenEntity)
      .update({ id: tokenId, userId, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (res.affected ?? 0) > 0;
  }

  /** Whether the token was issued to the user (revoked or not). */
  exists(userId: string, tokenId: string): Promise<boolean> {
    return this.dataSource.getRepository(TokenEntity).exists({ where: { id: tokenId, userId } });
  }

  /** Revokes every token of the user that is not revoked yet. */
  revokeAllOfUser(userId: string, tx?: Transaction): Promise<void> {
    return this.revokeOfUser(userId, 'true', tx);
  }

  /** Revokes the user's tokens of the given kinds that are not revoked yet. */
  async revokeKindsOfUser(userId: string, kinds: TokenKinds, tx?: Transaction): Promise<void> {
    const which: string[] = [];
    if (kinds.login) which.push('label IS NULL');
    if (kinds.labelled) which.push('label IS NOT NULL');
    if (which.length > 0) await this.revokeOfUser(userId, which.join(' OR '), tx);
  }

  /**
   * Sets `last_used_at = now()` on these tokens, except those written less than `resolutionSeconds`
   * ago (so instances sharing the database write a token at most about once per resolution).
   */
  async touchLastUsed(ids: readonly string[], resolutionSeconds: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE tokens SET last_used_at = now()
        WHERE id = ANY($1::uuid[])
          AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))`,
      [ids, resolutionSeconds],
    );
  }

  private async revokeOfUser(userId: string, condition: string, tx: Transaction | undefined): Promise<void> {
    await managerOf(this.dataSource, tx).query(
      `UPDATE tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND (${condition})`,
      [userId],
    );
  }
}
