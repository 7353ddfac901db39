import { Injectable } from '@nestjs/common';
import { IdentityError } from '../identity.error';
import { TokenRepository } from '../repositories/token.repository';
import { UserRepository, type UserWithPasswordHash } from '../repositories/user.repository';
import type { AuthSession } from './auth.service';
import { LdapLoginService } from './ldap-login.service';
import { OidcLoginService } from './oidc-login.service';
import { PrincipalService } from './principal.service';
import { type IssuedToken, TokenService } from './token.service';

/** A federated session the provider confirmed again, before a new Gatehouse token is issued for it. */
export interface RefreshedSession {
  user: UserWithPasswordHash;
  /** The refreshed ID token's claims (OIDC, when the provider sent one); null otherwise. */
  claims: Record<string, unknown> | null;
  /** The provider's refresh token to keep with the new token (OIDC). */
  refreshToken: string | null;
}

/**
 * `POST /api/auth/refresh` (ADR 0023): a federated user's login token is exchanged for a new one after
 * its provider confirmed the user again and its groups were read anew (OIDC: the refresh grant; LDAP:
 * the entry at its DN). The old token is revoked. A refusal by the provider revokes the caller's token,
 * so that the group-derived roles of that session end with it; local users and labelled tokens have
 * nothing to refresh (IDENTITY.REFRESH_NOT_SUPPORTED).
 */
@Injectable()
export class SessionRefreshService {
  constructor(
    private readonly users: UserRepository,
    private readonly tokenRows: TokenRepository,
    private readonly tokens: TokenService,
    private readonly oidc: OidcLoginService,
    private readonly ldap: LdapLoginService,
    private readonly principals: PrincipalService,
  ) {}

  /** Asks the user's provider again; throws on a refusal (after revoking the caller's token). */
  async confirm(session: AuthSession): Promise<RefreshedSession> {
    const user = await this.users.findRow(session.userId);
    if (!user) throw new IdentityError('IDENTITY.INVALID_TOKEN', 'invalid or expired token');
    if (await this.isLabelled(session))
      throw new IdentityError(
        'IDENTITY.REFRESH_NOT_SUPPORTED',
        'a labelled (long-lived) token is not refreshed: it lives until it expires or is revoked',
      );
    try {
      switch (user.identityProvider) {
        case 'oidc': {
          if (!this.oidc.enabled)
            throw new IdentityError(
              'IDENTITY.REFRESH_NOT_SUPPORTED',
              'OpenID Connect is not configured on this server (OIDC_ISSUER)',
            );
          return await this.oidc.refresh(user, session.tokenId);
        }
        case 'ldap': {
          if (!this.ldap.enabled)
            throw new IdentityError(
              'IDENTITY.REFRESH_NOT_SUPPORTED',
              'LDAP is not configured on this server (LDAP_URL)',
            );
          return { user: await this.ldap.refresh(user), claims: null, refreshToken: null };
        }
        default:
          throw new IdentityError(
            'IDENTITY.REFRESH_NOT_SUPPORTED',
            'a local user has no provider to refresh from: log in again with POST /api/login',
          );
      }
    } catch (err) {
      if (err instanceof IdentityError && err.code === 'IDENTITY.PROVIDER_REFUSED') await this.end(session);
      throw err;
    }
  }

  /** The new login token for a confirmed session; the old one is revoked (and its MQTT sessions end). */
  async reissue(session: AuthSession, refreshed: RefreshedSession): Promise<IssuedToken> {
    await this.users.recordLogin(refreshed.user.id);
    const issued = await this.tokens.issue(refreshed.user.id, {});
    await this.oidc.keepRefreshToken(issued.tokenId, refreshed.refreshToken);
    await this.end(session);
    return issued;
  }

  /** Revokes the caller's token and tells the gateways (as a logout does). */
  async end(session: AuthSession): Promise<void> {
    if (await this.tokens.revoke(session.userId, session.tokenId))
      await this.principals.notify([session.userId], 'token-revoked', { tokenId: session.tokenId });
  }

  private async isLabelled(session: AuthSession): Promise<boolean> {
    const rows = await this.tokenRows.findUsable([session.tokenId]);
    return rows[0]?.labelled ?? false;
  }
}
