import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthSession,
  OIDC_BROWSER_COOKIE,
  OidcLoginService,
  type OidcLoginResult,
  type OidcLoginStart,
  SessionRefreshService,
} from '@gatehouse/identity';
import { ADMIN_API_CONFIG, type AdminApiConfig } from '../../config/admin-api.config';
import type { LoginResponseDto } from '../auth/auth.dto';
import { OidcStepUpPolicy } from './step-up.policy';

export { OIDC_BROWSER_COOKIE } from '@gatehouse/identity';
/** Where the cookie is sent: the OIDC routes only. */
export const OIDC_COOKIE_PATH = '/api/auth/oidc';

/** OIDC log-in and the refresh of federated sessions (SPEC 2.1a, ADR 0023), over the identity lib. */
@Injectable()
export class SsoAppService {
  constructor(
    @Inject(ADMIN_API_CONFIG) private readonly config: AdminApiConfig,
    private readonly oidc: OidcLoginService,
    private readonly sessions: SessionRefreshService,
    private readonly stepUp: OidcStepUpPolicy,
  ) {}

  start(browserValue: string | undefined): Promise<OidcLoginStart> {
    return this.oidc.start(browserValue);
  }

  /** The `Set-Cookie` value of the login cookie: HttpOnly, SameSite=Lax (the provider's redirect is a top-level GET). */
  cookie(start: OidcLoginStart): string {
    const secure = this.config.identity.oidc?.redirectUri.startsWith('https:') ? '; Secure' : '';
    return `${OIDC_BROWSER_COOKIE}=${start.browserValue}; Path=${OIDC_COOKIE_PATH}; Max-Age=${start.maxAgeSeconds}; HttpOnly; SameSite=Lax${secure}`;
  }

  /** After the `oidc` strategy completed the login (OidcCallbackGuard): the acr/amr rule, then the token. */
  async finish(login: OidcLoginResult): Promise<LoginResponseDto> {
    await this.stepUp.assert(login.user, login.claims);
    const t = await this.oidc.issue(login);
    return { token: t.token, expiresAt: t.expiresAt, tokenId: t.tokenId };
  }

  async refresh(session: AuthSession): Promise<LoginResponseDto> {
    const refreshed = await this.sessions.confirm(session);
    if (refreshed.user.identityProvider === 'oidc') {
      try {
        await this.stepUp.assert(refreshed.user, refreshed.claims);
      } catch (err) {
        await this.sessions.end(session);
        throw err;
      }
    }
    const t = await this.sessions.reissue(session, refreshed);
    return { token: t.token, expiresAt: t.expiresAt, tokenId: t.tokenId };
  }
}
