import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID provider for the SSO tests (issue 12): `oidc-provider` 9 in-process on 127.0.0.1 port 0,
 * with a confidential client, the `groups` and `preferred_username` claims, refresh tokens for every
 * code grant, short configurable TTLs, and a tiny interaction handler so that a test drives the
 * browser's leg with plain HTTP (see {@link TestBrowser}). Keys can be rotated (a new signing key, the old
 * one withdrawn) and the provider stopped and started again on the same port.
 */

export interface TestAccount {
  username: string;
  password: string;
  groups: string[];
  /** The `sub`: stable and distinct from the username (default: a random uuid). */
  sub?: string;
  /** What the login reports in the ID token (ASVS 6.8.4 tests). */
  acr?: string;
  amr?: string[];
}

export interface TestOidcProviderOptions {
  /** Gatehouse's OIDC_REDIRECT_URI, registered at the provider. */
  redirectUri: string;
  ttl?: { accessToken?: number; idToken?: number; refreshToken?: number; authorizationCode?: number };
  /** false: the claims come only through userinfo, as a conforming provider with `code` flow does. */
  claimsInIdToken?: boolean;
}

export const TEST_CLIENT_ID = 'gatehouse';
export const TEST_CLIENT_SECRET = 'gatehouse-client-secret-0123456789';
/** Another registered client with the same redirect URI (a code issued to it must not work for ours). */
export const OTHER_CLIENT_ID = 'other-app';

export class TestOidcProvider {
  readonly accounts = new Map<string, TestAccount & { sub: string }>();
  private server: Server | null = null;
  private provider!: Provider;
  private port = 0;
  private keys: JWK[] = [];

  private constructor(private readonly options: TestOidcProviderOptions) {}

  static async start(options: TestOidcProviderOptions): Promise<TestOidcProvider> {
    const p = new TestOidcProvider(options);
    p.keys = [await signingKey()];
    await p.listen();
    return p;
  }

  get issuer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The OIDC_* variables for Gatehouse. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      OIDC_ISSUER: this.issuer,
      OIDC_CLIENT_ID: TEST_CLIENT_ID,
      OIDC_CLIENT_SECRET: TEST_CLIENT_SECRET,
      OIDC_REDIRECT_URI: this.options.redirectUri,
      OIDC_SCOPES: 'openid profile groups',
      OIDC_TIMEOUT_MS: '2000',
      ...extra,
    };
  }

  addAccount(a: TestAccount): TestAccount & { sub: string } {
    const account = { ...a, sub: a.sub ?? randomUUID() };
    this.accounts.set(a.username, account);
    return account;
  }

  /** A new signing key; the old one is withdrawn from the JWKS at once (a hard rotation). */
  async rotateKeys(): Promise<void> {
    this.keys = [await signingKey()];
    this.provider = this.build();
  }

  get signingKeyIds(): string[] {
    return this.keys.map((k) => k.kid as string);
  }

  /** Closes the port (connections refused) until {@link resume}. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  async resume(): Promise<void> {
    await this.listen();
  }

  private async listen(): Promise<void> {
    this.provider ??= undefined as never;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    if (!this.provider) this.provider = this.build();
  }

  private build(): Provider {
    const accounts = this.accounts;
    const ttl = this.options.ttl ?? {};
    const configuration: Configuration = {
      clients: [
        {
          client_id: TEST_CLIENT_ID,
          client_secret: TEST_CLIENT_SECRET,
          redirect_uris: [this.options.redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
        {
          client_id: OTHER_CLIENT_ID,
          client_secret: 'other-app-secret-0123456789',
          redirect_uris: [this.options.redirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: this.keys },
      cookies: { keys: ['test-provider-cookie-key-0123456789'] },
      claims: {
        sid: null,
        // acr and amr with every ID token (a standalone claim would need the claims parameter)
        openid: ['sub', 'acr', 'amr', 'auth_time'],
        profile: ['preferred_username', 'name'],
        groups: ['groups'],
      },
      scopes: ['openid', 'offline_access', 'profile', 'groups'],
      acrValues: ['gold', 'silver'],
      conformIdTokenClaims: this.options.claimsInIdToken === false,
      features: { devInteractions: { enabled: false } },
      pkce: { required: () => true },
      ttl: {
        AccessToken: ttl.accessToken ?? 300,
        IdToken: ttl.idToken ?? 300,
        RefreshToken: ttl.refreshToken ?? 3600,
        AuthorizationCode: ttl.authorizationCode ?? 60,
        Interaction: 600,
        Session: 3600,
        Grant: 3600,
      },
      interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
      // every code grant gets a refresh token (no offline_access consent dance in the tests)
      issueRefreshToken: (_ctx, client) => Promise.resolve(client.grantTypeAllowed('refresh_token')),
      // first-party client: consent is implied
      loadExistingGrant: async (ctx) => {
        const grantId =
          ctx.oidc.result?.consent?.grantId ||
          ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId as string);
        if (grantId) {
          const found = await ctx.oidc.provider.Grant.find(grantId);
          if (found) return found;
        }
        const grant = new ctx.oidc.provider.Grant({
          clientId: ctx.oidc.client?.clientId,
          accountId: ctx.oidc.session?.accountId,
        });
        grant.addOIDCScope('openid profile groups offline_access');
        await grant.save();
        return grant;
      },
      findAccount: (_ctx, sub) => {
        const a = [...accounts.values()].find((x) => x.sub === sub);
        if (!a) return undefined; // removed at the provider: refresh grants fail (invalid_grant)
        return {
          accountId: sub,
          claims: () => ({ sub, preferred_username: a.username, name: a.username, groups: [...a.groups] }),
        };
      },
    };
    const provider = new Provider(this.issuer, configuration);
    provider.on('server_error', (_ctx, err) => console.error('test oidc-provider server_error', err));
    return provider;
  }

  /** The interaction endpoints (login form, abort), else the provider itself. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', this.issuer);
      const m = /^\/interaction\/([^/]+)(\/login|\/abort)?$/.exec(url.pathname);
      if (!m) return this.provider.callback()(req, res);
      const details = await this.provider.interactionDetails(req, res);
      if (req.method === 'GET' && !m[2]) {
        if (details.prompt.name === 'consent') {
          // not expected (loadExistingGrant grants), but answered as a first-party client would be
          return await this.provider.interactionFinished(
            req,
            res,
            { consent: {} },
            { mergeWithLastSubmission: true },
          );
        }
        return page(res, 200, `<form method="post" action="/interaction/${m[1]}/login">login</form>`);
      }
      if (req.method === 'POST' && m[2] === '/abort') {
        return await this.provider.interactionFinished(
          req,
          res,
          { error: 'access_denied', error_description: 'the user said no' },
          { mergeWithLastSubmission: false },
        );
      }
      if (req.method === 'POST' && m[2] === '/login') {
        const form = new URLSearchParams(await body(req));
        const a = this.accounts.get(form.get('username') ?? '');
        if (!a || a.password !== form.get('password')) return page(res, 401, 'wrong username or password');
        return await this.provider.interactionFinished(
          req,
          res,
          { login: { accountId: a.sub, ...(a.acr ? { acr: a.acr } : {}), ...(a.amr ? { amr: a.amr } : {}) } },
          { mergeWithLastSubmission: false },
        );
      }
      return page(res, 405, 'method not allowed');
    } catch (err) {
      page(res, 500, (err as Error).message);
    }
  }
}

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function page(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><body>${html}</body>`);
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * A browser for the tests: `fetch` with `redirect: 'manual'`, a cookie jar per host (names and values
 * only: every cookie of a host is sent to it), so that a test follows the redirects of a login itself.
 */
export class TestBrowser {
  private readonly jars = new Map<string, Map<string, string>>();

  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const u = new URL(url);
    const jar = this.jars.get(u.host) ?? new Map<string, string>();
    this.jars.set(u.host, jar);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(u, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const set of res.headers.getSetCookie()) {
      const [pair, ...attrs] = set.split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=thu, 01 jan 1970/i.test(a),
      );
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    return res;
  }

  /** The value of a cookie this browser holds for `host` (`127.0.0.1:1234`). */
  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }

  forget(host: string, name: string): void {
    this.jars.get(host)?.delete(name);
  }
}

/**
 * The browser's leg at the provider: from the authorization URL, through the login form, to the
 * redirect back to `redirectUri`; answers that redirect's URL (with `code`, `state`, `iss`, or `error`).
 * `abort`: the user refuses at the provider (error=access_denied).
 */
export async function loginAtProvider(
  browser: TestBrowser,
  authorizationUrl: string,
  redirectUri: string,
  who: { username: string; password: string } | 'abort',
): Promise<URL> {
  let next = authorizationUrl;
  for (let hop = 0; hop < 20; hop++) {
    if (next.startsWith(redirectUri)) return new URL(next);
    const res = await browser.request(next);
    if (res.status >= 300 && res.status < 400) {
      next = new URL(res.headers.get('location') as string, next).href;
      continue;
    }
    const html = await res.text();
    const action = /action="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action)
      throw new Error(`provider answered ${res.status}: ${html.slice(0, 300)}`);
    const target = new URL(action, next).href;
    const posted =
      who === 'abort'
        ? await browser.request(target.replace(/\/login$/, '/abort'), { method: 'POST' })
        : await browser.request(target, { form: { username: who.username, password: who.password } });
    if (posted.status < 300 || posted.status >= 400)
      throw new Error(`provider login answered ${posted.status}: ${(await posted.text()).slice(0, 300)}`);
    next = new URL(posted.headers.get('location') as string, target).href;
  }
  throw new Error('too many redirects at the provider');
}
