import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy as CustomStrategy } from 'passport-custom';
import { OidcLoginService, type OidcLoginResult } from '../services/oidc-login.service';
import type { StrategyRequest } from './bearer-token';
import { ScopedStrategyName } from './strategy-registration';

export const OIDC_STRATEGY = 'oidc';

/** The cookie that ties a login's callback to the browser that started it (ADR 0023). */
export const OIDC_BROWSER_COOKIE = 'gatehouse_oidc';

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

/** The callback's query: only the authorization response's parameters, each at most once. */
export function oidcCallbackParams(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of query) {
    if (!CALLBACK_PARAMS.has(k)) continue;
    // a parameter given twice is not a response the provider sent (RFC 6749 3.1)
    if (out.has(k)) return new URLSearchParams();
    out.append(k, v);
  }
  return out;
}

/** The value of the login cookie ({@link OIDC_BROWSER_COOKIE}) the browser sent, if any. */
export function oidcBrowserCookie(req: StrategyRequest): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === OIDC_BROWSER_COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}

/**
 * `GET /api/auth/oidc/callback` (SPEC 2.1a, ADR 0023, 0026): the provider's authorization response,
 * completed by OidcLoginService (state once and this browser's, the code with PKCE, the ID token's
 * signature, iss, aud, exp and nonce; the user found by (issuer, sub) or created, its groups synced).
 * Always decides: the completed login, or its error (`IDENTITY.OIDC_STATE_INVALID`,
 * `IDENTITY.PROVIDER_REFUSED`, `IDENTITY.OIDC_DISABLED`, …), never Passport's bare 401. The admin-level
 * acr/amr rule and the token are the route's (admin-api), on the login this puts on `req.user`.
 */
@Injectable()
export class OidcStrategy extends PassportStrategy(CustomStrategy, OIDC_STRATEGY) implements OnModuleDestroy {
  readonly scoped = new ScopedStrategyName(OIDC_STRATEGY, this);

  constructor(private readonly oidc: OidcLoginService) {
    super();
  }

  async validate(req: StrategyRequest & { originalUrl?: string; url?: string }): Promise<OidcLoginResult> {
    const query = new URL(req.originalUrl ?? req.url ?? '/', 'http://callback.invalid').searchParams;
    return this.oidc.complete(oidcCallbackParams(query), oidcBrowserCookie(req));
  }

  onModuleDestroy(): void {
    this.scoped.release();
  }
}
