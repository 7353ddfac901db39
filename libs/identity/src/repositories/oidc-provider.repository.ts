import { Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions, type OidcOptions } from '../identity.options';

/** What a successful exchange with the provider yields: the verified ID token's claims and the tokens. */
export interface ProviderTokens {
  /** The claims of the verified ID token (signature, iss, aud, exp, nonce checked by openid-client). */
  claims: Record<string, unknown>;
  accessToken: string;
  refreshToken: string | null;
}

/** How long the discovered metadata is kept before it is read again. */
const DISCOVERY_TTL_MS = 10 * 60_000;
/** A provider `error` code is reported only in this shape (it reached us through the browser). */
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** oauth4webapi's error codes (openid-client passes them on as `code`). */
const JSON_ATTRIBUTE_COMPARISON = 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
const VERIFICATION_FAILED = new Set([
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_INVALID_RESPONSE',
  JSON_ATTRIBUTE_COMPARISON,
  'OAUTH_PARSE_ERROR',
]);

const codeOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;

/**
 * The OpenID provider over openid-client 6 (SPEC 2.1a, ADR 0023): discovery (kept 10 minutes, read
 * again after a failure), the authorization URL, the code and refresh grants and userinfo. Every call
 * is bounded by OIDC_TIMEOUT_MS. Each exchange runs on its own client configuration, so the provider's
 * JWKS is read for it: a rotated or withdrawn signing key takes effect at the next login. Errors become
 * IdentityErrors: unreachable or broken provider → IDENTITY.PROVIDER_UNAVAILABLE; the provider said no →
 * IDENTITY.PROVIDER_REFUSED; an ID token that fails a check → IDENTITY.OIDC_ID_TOKEN_INVALID. Never a
 * secret or a token in a message.
 */
@Injectable()
export class OidcProviderRepository {
  private readonly logger = new Logger('OidcProvider');
  private discovered: { metadata: oidc.ServerMetadata; at: number } | null = null;
  private discovering: Promise<oidc.ServerMetadata> | null = null;

  constructor(@Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions) {}

  get enabled(): boolean {
    return this.options.oidc !== undefined;
  }

  /** The issuer identifier, as configured (the users' `external_issuer`). */
  get issuer(): string {
    return this.config().issuer;
  }

  /** The authorization request URL: code flow, PKCE S256, state and nonce. */
  async authorizationUrl(p: { state: string; nonce: string; codeChallenge: string }): Promise<URL> {
    const cfg = this.config();
    const client = await this.client();
    return oidc.buildAuthorizationUrl(client, {
      redirect_uri: cfg.redirectUri,
      scope: cfg.scopes.join(' '),
      response_type: 'code',
      state: p.state,
      nonce: p.nonce,
      code_challenge: p.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  /** The code grant for the callback's parameters; the ID token is required and verified. */
  async exchangeCode(
    params: URLSearchParams,
    checks: { state: string; nonce: string; codeVerifier: string },
  ): Promise<ProviderTokens> {
    const cfg = this.config();
    const client = await this.client();
    const currentUrl = new URL(cfg.redirectUri);
    for (const [k, v] of params) currentUrl.searchParams.append(k, v);
    try {
      const res = await oidc.authorizationCodeGrant(client, currentUrl, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      return this.tokensOf(res);
    } catch (err) {
      throw this.translate(err, 'login');
    }
  }

  /** The refresh grant; a new ID token, when the provider sends one, is verified like the first. */
  async refresh(
    refreshToken: string,
  ): Promise<{ claims: Record<string, unknown> | null } & Omit<ProviderTokens, 'claims'>> {
    const client = await this.client();
    try {
      const res = await oidc.refreshTokenGrant(client, refreshToken);
      const claims = res.claims();
      return {
        claims: claims ? { ...claims } : null,
        accessToken: res.access_token,
        refreshToken: res.refresh_token ?? null,
      };
    } catch (err) {
      throw this.translate(err, 'refresh');
    }
  }

  /** Userinfo for `subject` (the response's `sub` must be it), or null when the provider has no endpoint. */
  async userinfo(accessToken: string, subject: string): Promise<Record<string, unknown> | null> {
    const client = await this.client();
    if (!client.serverMetadata().userinfo_endpoint) return null;
    try {
      return { ...(await oidc.fetchUserInfo(client, accessToken, subject)) };
    } catch (err) {
      throw this.translate(err, 'userinfo');
    }
  }

  private tokensOf(res: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): ProviderTokens {
    const claims = res.claims();
    if (!claims) throw new IdentityError('IDENTITY.OIDC_ID_TOKEN_INVALID', 'the provider sent no ID token');
    return { claims: { ...claims }, accessToken: res.access_token, refreshToken: res.refresh_token ?? null };
  }

  /** A client configuration of its own (a fresh JWKS cache) over the discovered metadata. */
  private async client(): Promise<oidc.Configuration> {
    const cfg = this.config();
    const metadata = await this.metadata();
    const client = new oidc.Configuration(
      metadata,
      cfg.clientId,
      { client_secret: cfg.clientSecret },
      oidc.ClientSecretBasic(cfg.clientSecret),
    );
    client.timeout = cfg.timeoutMs / 1000;
    if (cfg.allowInsecureHttp) oidc.allowInsecureRequests(client);
    return client;
  }

  private async metadata(): Promise<oidc.ServerMetadata> {
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS)
      return this.discovered.metadata;
    this.discovering ??= this.discover().finally(() => (this.discovering = null));
    return this.discovering;
  }

  private async discover(): Promise<oidc.ServerMetadata> {
    const cfg = this.config();
    try {
      const found = await oidc.discovery(new URL(cfg.issuer), cfg.clientId, cfg.clientSecret, undefined, {
        timeout: cfg.timeoutMs / 1000,
        ...(cfg.allowInsecureHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      const metadata = found.serverMetadata();
      this.discovered = { metadata, at: Date.now() };
      return metadata;
    } catch (err) {
      // a stale copy is better than none while the provider's discovery document is out of reach
      if (this.discovered) return this.discovered.metadata;
      const reason =
        codeOf(err) === JSON_ATTRIBUTE_COMPARISON
          ? `its discovery document names another issuer than OIDC_ISSUER`
          : describe(err);
      this.logger.warn(`OIDC discovery at ${cfg.issuer} failed: ${reason}`);
      throw new IdentityError(
        'IDENTITY.PROVIDER_UNAVAILABLE',
        `the OpenID provider cannot be reached or is misconfigured (discovery: ${reason})`,
      );
    }
  }

  private translate(err: unknown, step: 'login' | 'refresh' | 'userinfo'): IdentityError {
    if (err instanceof IdentityError) return err;
    if (err instanceof oidc.AuthorizationResponseError) {
      const code = ERROR_CODE.test(err.error) ? err.error : 'error';
      return new IdentityError('IDENTITY.PROVIDER_REFUSED', `the OpenID provider refused the login: ${code}`);
    }
    if (err instanceof oidc.ResponseBodyError) {
      const code = ERROR_CODE.test(err.error) ? err.error : 'error';
      if (err.error === 'invalid_client' || err.error === 'unauthorized_client') {
        this.logger.error(
          `the OpenID provider refused Gatehouse's client (${code}): check OIDC_CLIENT_ID / OIDC_CLIENT_SECRET`,
        );
        return new IdentityError(
          'IDENTITY.PROVIDER_UNAVAILABLE',
          `the OpenID provider refused Gatehouse's client credentials (${code})`,
        );
      }
      if (err.status >= 500)
        return new IdentityError(
          'IDENTITY.PROVIDER_UNAVAILABLE',
          `the OpenID provider failed (${err.status})`,
        );
      return new IdentityError(
        'IDENTITY.PROVIDER_REFUSED',
        step === 'refresh'
          ? `the OpenID provider refused to refresh the session: ${code}`
          : `the OpenID provider refused the ${step}: ${code}`,
      );
    }
    if (err instanceof oidc.WWWAuthenticateChallengeError)
      return new IdentityError('IDENTITY.PROVIDER_REFUSED', `the OpenID provider refused the ${step}`);
    const code = codeOf(err);
    if (code !== undefined && VERIFICATION_FAILED.has(code))
      return new IdentityError(
        'IDENTITY.OIDC_ID_TOKEN_INVALID',
        `the provider's answer failed verification: ${describe(err)}`,
      );
    this.logger.warn(`OIDC ${step} failed: ${describe(err)}`);
    return new IdentityError(
      'IDENTITY.PROVIDER_UNAVAILABLE',
      `the OpenID provider cannot be reached or answered wrongly (${step})`,
    );
  }

  private config(): OidcOptions {
    const cfg = this.options.oidc;
    if (!cfg)
      throw new IdentityError('IDENTITY.OIDC_DISABLED', 'OpenID Connect is not configured (OIDC_ISSUER)');
    return cfg;
  }
}

/** A short, secret-free description: the library's message and code, and the cause's message. */
function describe(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } };
  const parts = [
    typeof e?.message === 'string' ? e.message : String(err),
    typeof e?.code === 'string' ? e.code : undefined,
    typeof e?.cause?.message === 'string' && e.cause.message !== e.message ? e.cause.message : undefined,
  ].filter((x): x is string => x !== undefined);
  return parts.join('; ').slice(0, 300);
}
