import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import * as oidc from 'openid-client';
import { USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, USERNAME_PATTERN } from '@gatehouse/contracts';
import { isPgError, PgErrorCodes, Transactions } from '@gatehouse/persistence';
import { IdentityError } from '../identity.error';
import { IDENTITY_OPTIONS, type IdentityOptions, type OidcOptions } from '../identity.options';
import { OidcProviderRepository, type ProviderTokens } from '../repositories/oidc-provider.repository';
import { OidcSessionRepository } from '../repositories/oidc-session.repository';
import { UserRepository, type UserWithPasswordHash } from '../repositories/user.repository';
import { MfaCipher, MfaSealError } from './mfa-cipher';
import { resolveMfaKey } from './mfa-key';
import { PrincipalService } from './principal.service';
import { type IssuedToken, TokenService } from './token.service';

/** A login started: where the browser goes, and the cookie that ties the callback to this browser. */
export interface OidcLoginStart {
  url: URL;
  browserValue: string;
  maxAgeSeconds: number;
}

/** A provider user the callback verified, bound and synchronised; not yet given a Gatehouse token. */
export interface OidcLoginResult {
  user: UserWithPasswordHash;
  /** The verified ID token's claims (acr, amr for the administrators' rule, ADR 0023). */
  claims: Record<string, unknown>;
  refreshToken: string | null;
}

const PROVIDER = 'oidc';
const SUFFIX_ATTEMPTS = 5;
const MAX_GROUPS = 1000;
const MAX_GROUP_LENGTH = 1024;
/** The browser cookie's value as we make it (32 random bytes, base64url). */
const BROWSER_VALUE = /^[A-Za-z0-9_-]{43}$/;
/** A state as openid-client makes it (32 random bytes, base64url); anything else is not ours. */
const STATE = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (v: string): Buffer => createHash('sha256').update(v, 'utf8').digest();

const validUsername = (name: unknown): name is string =>
  typeof name === 'string' &&
  name.length >= USERNAME_MIN_LENGTH &&
  name.length <= USERNAME_MAX_LENGTH &&
  USERNAME_PATTERN.test(name);

/** A claim by name, else by a dotted path (`realm_access.roles`). */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let v: unknown = claims;
  for (const part of name.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The groups in a claim (an array of strings, or one string), lower case, without control characters. */
export function groupsOf(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const items = Array.isArray(value) ? value : [value];
  const out = new Set<string>();
  for (const g of items) {
    if (typeof g !== 'string') continue;
    const v = g.trim().toLowerCase();
    // eslint-disable-next-line no-control-regex -- control characters are refused
    if (v === '' || v.length > MAX_GROUP_LENGTH || /[\u0000-\u001f\u007f]/.test(v)) continue;
    out.add(v);
    if (out.size >= MAX_GROUPS) break;
  }
  return [...out].sort();
}

/**
 * OpenID Connect single sign-on (SPEC 2.1a, ADR 0023). `start` stores a login attempt (state, nonce, PKCE
 * verifier) and answers the provider's URL; `complete` takes the attempt once, lets openid-client verify
 * the answer, and finds the user by (issuer, sub), never by name. On first sight the user is created
 * under the OIDC_USERNAME_CLAIM value, unless a Gatehouse user holds it (OIDC_USERNAME_CLASH). The groups
 * of OIDC_ROLE_CLAIM are stored at each login and refresh; when they changed the principal goes to the
 * gateways. The provider's refresh token is kept sealed, per Gatehouse token.
 */
@Injectable()
export class OidcLoginService implements OnModuleInit {
  private readonly logger = new Logger('OidcLogin');
  private cipherValue: MfaCipher | undefined;

  constructor(
    private readonly provider: OidcProviderRepository,
    private readonly sessions: OidcSessionRepository,
    private readonly users: UserRepository,
    private readonly transactions: Transactions,
    private readonly principals: PrincipalService,
    private readonly tokens: TokenService,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.options.oidc) return;
    // the refresh tokens' key: derived from the MFA key, so one secret (MFA_ENCRYPTION_KEY) guards both
    const master = await resolveMfaKey(this.options.mfa.encryptionKey, this.options.dataDir);
    this.cipherValue = new MfaCipher(
      Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'gatehouse oidc refresh-token v1', 32)),
    );
  }

  get enabled(): boolean {
    return this.provider.enabled;
  }

  /** Starts a login; `browserValue` is the cookie the browser already holds, if it looks like ours. */
  async start(browserValue: string | undefined): Promise<OidcLoginStart> {
    const cfg = this.config();
    const browser =
      browserValue && BROWSER_VALUE.test(browserValue) ? browserValue : randomBytes(32).toString('base64url');
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = await this.provider.authorizationUrl({
      state,
      nonce,
      codeChallenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    });
    await this.sessions.insertAttempt({
      stateHash: sha256(state),
      browserHash: sha256(browser),
      nonce,
      codeVerifier,
      expiresAt: new Date(Date.now() + cfg.loginTtlSeconds * 1000),
    });
    return { url, browserValue: browser, maxAgeSeconds: cfg.loginTtlSeconds };
  }

  /**
   * The callback: the attempt of `state` is taken (once, on any instance), must be this browser's and
   * not expired; then the code grant. Throws IdentityErrors with clear codes (ADR 0023).
   */
  async complete(params: URLSearchParams, browserValue: string | undefined): Promise<OidcLoginResult> {
    this.config();
    const state = params.get('state');
    if (!state || !STATE.test(state))
      throw new IdentityError('IDENTITY.OIDC_STATE_INVALID', 'the callback carries no valid state');
    const taken = await this.sessions.takeAttempt(sha256(state));
    if (taken.kind === 'unknown')
      throw new IdentityError(
        'IDENTITY.OIDC_STATE_INVALID',
        'unknown or already used state: start again at GET /api/auth/oidc/login',
      );
    if (taken.kind === 'expired')
      throw new IdentityError(
        'IDENTITY.OIDC_LOGIN_EXPIRED',
        'the login took too long at the provider: start again at GET /api/auth/oidc/login',
      );
    const { attempt } = taken;
    if (!browserValue || !sha256(browserValue).equals(attempt.browserHash))
      throw new IdentityError(
        'IDENTITY.OIDC_STATE_INVALID',
        'this login was not started in this browser (its login cookie is missing or another one)',
      );
    const tokens = await this.provider.exchangeCode(params, {
      state,
      nonce: attempt.nonce,
      codeVerifier: attempt.codeVerifier,
    });
    const sub = tokens.claims.sub;
    if (typeof sub !== 'string' || sub === '' || sub.length > 255)
      throw new IdentityError('IDENTITY.OIDC_ID_TOKEN_INVALID', 'the ID token has no usable sub');
    const claims = await this.claimsOf(tokens, sub, true);
    const name = claimValue(claims, this.config().usernameClaim);
    const subject = {
      type: 'oidc-user',
      name: typeof name === 'string' ? name.slice(0, 256) : sub,
    };
    const groups = groupsOf(claimValue(claims, this.config().roleClaim)) ?? [];
    const bound = await this.users.findByExternalSubject(PROVIDER, this.provider.issuer, sub);
    const user = bound ? await this.sync(bound, groups) : await this.provision(sub, name, groups, subject);
    if (!user.enabled)
      throw new IdentityError(
        'IDENTITY.USER_DISABLED',
        'this user is disabled in Gatehouse',
        undefined,
        subject,
      );
    return { user, claims: tokens.claims, refreshToken: tokens.refreshToken };
  }

  /**
   * The Gatehouse login token of a completed login (the same kind `POST /api/login` issues), with the
   * provider's refresh token kept for `POST /api/auth/refresh`. No Gatehouse TOTP: the provider
   * authenticated the user (ADR 0023).
   */
  async issue(login: OidcLoginResult): Promise<IssuedToken> {
    await this.users.recordLogin(login.user.id);
    const issued = await this.tokens.issue(login.user.id, {});
    await this.keepRefreshToken(issued.tokenId, login.refreshToken);
    return issued;
  }

  /** Keeps the provider's refresh token of a Gatehouse token, sealed to that token's id. */
  async keepRefreshToken(tokenId: string, refreshToken: string | null): Promise<void> {
    if (refreshToken === null) return;
    await this.sessions.saveRefreshToken(
      tokenId,
      this.cipher.seal(Buffer.from(refreshToken, 'utf8'), tokenId),
    );
  }

  /**
   * The refresh grant for the OIDC user of `tokenId`: the new ID token (or userinfo) gives the groups,
   * stored and sent to the gateways when changed. A refusal by the provider forgets the refresh token
   * and throws IDENTITY.PROVIDER_REFUSED; a token with no refresh token is IDENTITY.REFRESH_NOT_SUPPORTED.
   */
  async refresh(
    user: UserWithPasswordHash,
    tokenId: string,
  ): Promise<{ user: UserWithPasswordHash; claims: Record<string, unknown> | null; refreshToken: string }> {
    this.config();
    if (user.externalIssuer !== this.provider.issuer || !user.externalSubject)
      throw new IdentityError(
        'IDENTITY.PROVIDER_REFUSED',
        'this user is bound to another OpenID provider than OIDC_ISSUER',
      );
    const sealed = await this.sessions.findRefreshToken(tokenId);
    if (!sealed)
      throw new IdentityError(
        'IDENTITY.REFRESH_NOT_SUPPORTED',
        'the provider gave this session no refresh token (ask for it with OIDC_SCOPES, e.g. offline_access): log in again',
      );
    let refreshToken: string;
    try {
      refreshToken = this.cipher.open(sealed, tokenId).toString('utf8');
    } catch (err) {
      if (!(err instanceof MfaSealError)) throw err;
      await this.sessions.deleteRefreshToken(tokenId);
      throw new IdentityError(
        'IDENTITY.REFRESH_NOT_SUPPORTED',
        "this session's refresh token cannot be opened (another MFA_ENCRYPTION_KEY?): log in again",
      );
    }
    let res: Awaited<ReturnType<OidcProviderRepository['refresh']>>;
    try {
      res = await this.provider.refresh(refreshToken);
    } catch (err) {
      if (err instanceof IdentityError && err.code === 'IDENTITY.PROVIDER_REFUSED')
        await this.sessions.deleteRefreshToken(tokenId);
      throw err;
    }
    if (res.claims && res.claims.sub !== user.externalSubject)
      throw new IdentityError(
        'IDENTITY.OIDC_ID_TOKEN_INVALID',
        'the refreshed ID token is about another sub',
      );
    const claims = await this.claimsOf(
      { claims: res.claims ?? {}, accessToken: res.accessToken, refreshToken: res.refreshToken },
      user.externalSubject,
      false,
    );
    const groups = groupsOf(claimValue(claims, this.config().roleClaim)) ?? [];
    return {
      user: await this.sync(user, groups),
      claims: res.claims,
      refreshToken: res.refreshToken ?? refreshToken,
    };
  }

  /**
   * The ID token's claims, completed from userinfo when OIDC_ROLE_CLAIM (or, on a login,
   * OIDC_USERNAME_CLAIM) is not in the ID token: many providers put profile claims only there. The ID
   * token's claims win; userinfo's `sub` must be the ID token's (openid-client checks it).
   */
  private async claimsOf(
    tokens: ProviderTokens,
    sub: string,
    needName: boolean,
  ): Promise<Record<string, unknown>> {
    const cfg = this.config();
    const missing =
      claimValue(tokens.claims, cfg.roleClaim) === undefined ||
      (needName && claimValue(tokens.claims, cfg.usernameClaim) === undefined);
    if (!missing) return tokens.claims;
    const info = await this.provider.userinfo(tokens.accessToken, sub);
    return info ? { ...info, ...tokens.claims } : tokens.claims;
  }

  private async sync(user: UserWithPasswordHash, groups: string[]): Promise<UserWithPasswordHash> {
    const changed = await this.users.setExternalGroups(user.id, groups);
    if (changed) await this.principals.notify([user.id], 'permissions');
    return { ...user, externalGroups: groups };
  }

  /** First sight of (issuer, sub): created under the username claim, or refused / renamed on a clash. */
  private async provision(
    sub: string,
    name: unknown,
    groups: string[],
    subject: { type: string; name: string },
  ): Promise<UserWithPasswordHash> {
    const cfg = this.config();
    if (!validUsername(name))
      throw new IdentityError(
        'IDENTITY.OIDC_CLAIM_INVALID',
        `the provider's ${cfg.usernameClaim} claim is missing or not a valid Gatehouse username (3..128 of A-Z a-z 0-9 _ . : @ -); set OIDC_USERNAME_CLAIM or fix it at the provider`,
        undefined,
        subject,
      );
    const candidates = [name];
    if (cfg.usernameClash === 'suffix')
      for (let i = 1; i <= SUFFIX_ATTEMPTS; i++) candidates.push(`${name}.${PROVIDER}${i === 1 ? '' : i}`);
    for (const username of candidates.filter(validUsername)) {
      if ((await this.users.findSpellingIgnoringCase(username)) !== null) continue;
      try {
        const id = await this.transactions.run((tx) =>
          this.users.insertFederated(
            {
              username,
              identityProvider: PROVIDER,
              externalIssuer: this.provider.issuer,
              externalSubject: sub,
              externalGroups: groups,
            },
            tx,
          ),
        );
        if (username !== name)
          this.logger.warn(
            `OpenID user ${JSON.stringify(sub)} is named ${JSON.stringify(name)}, which a Gatehouse user holds: created as ${JSON.stringify(username)} (OIDC_USERNAME_CLASH=suffix)`,
          );
        const user = await this.users.findByExternalSubject(PROVIDER, this.provider.issuer, sub);
        if (user && user.id === id) return user;
      } catch (err) {
        if (!isPgError(err, PgErrorCodes.UNIQUE_VIOLATION)) throw err;
        // a simultaneous first login of the same sub won: use it; else the name was just taken
        const bound = await this.users.findByExternalSubject(PROVIDER, this.provider.issuer, sub);
        if (bound) return this.sync(bound, groups);
      }
    }
    this.logger.warn(
      `OpenID user ${JSON.stringify(sub)} refused: its name ${JSON.stringify(name)} belongs to another Gatehouse user (OIDC_USERNAME_CLASH=${cfg.usernameClash})`,
    );
    throw new IdentityError(
      'IDENTITY.FEDERATED_NAME_CLASH',
      `the OpenID user "${name}" cannot log in: a Gatehouse user holds that name (OIDC_USERNAME_CLASH=${cfg.usernameClash}); an administrator must resolve it`,
      undefined,
      subject,
    );
  }

  private get cipher(): MfaCipher {
    if (!this.cipherValue) throw new Error('OidcLoginService used before its key was loaded');
    return this.cipherValue;
  }

  private config(): OidcOptions {
    const cfg = this.options.oidc;
    if (!cfg)
      throw new IdentityError(
        'IDENTITY.OIDC_DISABLED',
        'OpenID Connect single sign-on is not configured on this server (OIDC_ISSUER)',
      );
    return cfg;
  }
}
