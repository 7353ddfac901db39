import { Inject, Injectable } from '@nestjs/common';
import {
  type AuthSession,
  OidcLoginService,
  type OidcLoginStart,
  SessionRefreshService,
} from '@gatehouse/identity';
import { ADMIN_API_CONFIG, type AdminApiConfig } from '../../config/admin-api.config';
import type { LoginResponseDto } from '../auth/auth.dto';
import { OidcStepUpPolicy } from './step-up.policy';

/** The cookie that ties a login's callback to the browser that started it (ADR 0023). */
export const OIDC_BROWSER_COOKIE = 'gatehouse_oidc';
/** Where the cookie is sent: the OIDC routes only. */
export const OIDC_COOKIE_PATH = '/api/auth/oidc';

/** The parameters of an authorization response that go on to openid-client (RFC 6749 4.1.2, RFC 9207). */
const CALLBACK_PARAMS = new Set([
  'code',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'session_state',
]);

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

  /** The callback's query: only the authorization response's parameters, each at most once. */
  callbackParams(query: URLSearchParams): URLSearchParams {
    const out = new URLSearchParams();
    for (const [k, v] of query) {
      if (!CALLBACK_PARAMS.has(k)) continue;
      // a parameter given twice is not a response the provider sent (RFC 6749 3.1)
      if (out.has(k)) return new URLSearchParams();
      out.append(k, v);
    }
    return out;
  }

  async callback(query: URLSearchParams, browserValue: string | undefined): Promise<LoginResponseDto> {
    const login = await this.oidc.complete(this.callbackParams(query), browserValue);
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
