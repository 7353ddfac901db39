/**
 * Issue 12 (OIDC part), SPEC 2.1a, ADR 0023: single sign-on against a real OpenID provider (oidc-provider
 * 9 in-process, test/support/oidc-provider.ts), the browser's leg driven with plain HTTP. The user is
 * bound by (issuer, sub), never by name (a provider `admin` is not the local admin); groups give roles
 * and follow the provider at refresh; state is single-use, this browser's and expires; a tampered nonce,
 * another client's code, a refusal at the provider, a disabled user, a user removed at the provider, an
 * admin-level user without the required acr/amr and a provider that is down all answer a clear problem.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import {
  loginAtProvider,
  OTHER_CLIENT_ID,
  TEST_CLIENT_ID,
  TestBrowser,
  TestOidcProvider,
} from '../support/oidc-provider';

jest.setTimeout(60_000);

/** Gatehouse's redirect URI as registered at the provider (behind a proxy); the test maps it to admin-api. */
const REDIRECT = 'http://127.0.0.1:9/gatehouse/api/auth/oidc/callback';

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

/** The steps of one SSO login through one browser. */
class Flow {
  readonly browser = new TestBrowser();
  constructor(private readonly base: string) {}

  /** GET /api/auth/oidc/login: the provider's authorization URL. */
  async start(): Promise<{ res: Response; location: string }> {
    const res = await this.browser.request(`${this.base}/api/auth/oidc/login`);
    return { res, location: res.headers.get('location') ?? '' };
  }

  /** The callback URL as the provider sent the browser back (query only; the path is the proxy's). */
  async callback(fromProvider: URL): Promise<Answer> {
    return answer(await this.browser.request(`${this.base}/api/auth/oidc/callback${fromProvider.search}`));
  }
}

describe('OpenID Connect single sign-on against a real provider (issue 12, SPEC 2.1a)', () => {
  let idp: TestOidcProvider;
  let api: TestAdminApi;
  let base: string;
  let admin: string;
  let operatorsRole: string;
  let engineersRole: string;

  const call = async (method: string, path: string, token?: string, body?: unknown): Promise<Answer> =>
    answer(
      await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      }),
    );
  const userNamed = async (username: string): Promise<Json | undefined> => {
    const res = await call('GET', `/api/users?username=${encodeURIComponent(username)}`, admin);
    return (res.body.items as Json[]).find((u) => u.username === username);
  };
  const auditFailures = async (): Promise<Json[]> =>
    (await call('GET', '/api/audit-events?action=auth.login&result=failure&limit=200', admin)).body
      .items as Json[];
  /** A whole login: Gatehouse → provider (login form) → callback. */
  const sso = async (username: string, password = `${username}-idp-pw-1`) => {
    const flow = new Flow(base);
    const { location } = await flow.start();
    const back = await loginAtProvider(flow.browser, location, REDIRECT, { username, password });
    return { flow, back, res: await flow.callback(back) };
  };

  beforeAll(async () => {
    idp = await TestOidcProvider.start({ redirectUri: REDIRECT });
    for (const [username, groups] of [
      ['alice', ['Operators', 'engineers']],
      ['admin', []],
      ['dave', ['operators']],
      ['frank', ['operators']],
      ['root-op', ['gatehouse-admins']],
    ] as const)
      idp.addAccount({ username, password: `${username}-idp-pw-1`, groups: [...groups] });
    api = await startTestAdminApi(idp.env({ OIDC_ADMIN_ACR: 'gold', OIDC_ADMIN_AMR: 'otp' }));
    base = api.api.httpUrl;
    admin = await api.adminToken();
    const role = async (name: string, externalGroups: string[], permissions: Json[]) => {
      const res = await call('POST', '/api/roles', admin, { name, permissions, externalGroups });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    operatorsRole = await role(
      'plant-operators',
      ['operators'],
      [
        { context: 'mqtt', resource: 'plant/line1/#', operation: 'readWrite' },
        { context: 'http', resource: '/api/me', operation: 'read' },
      ],
    );
    engineersRole = await role(
      'plant-engineers',
      ['engineers'],
      [{ context: 'mqtt', resource: 'plant/eng/#', operation: 'readWrite' }],
    );
    await role(
      'idp-user-admins',
      ['gatehouse-admins'],
      [{ context: 'http', resource: '/api/users/#', operation: 'readWrite' }],
    );
  }, 60_000);

  afterAll(async () => {
    expect(api?.leaks ?? []).toEqual([]);
    await api?.stop();
    await idp?.stop();
  }, 30_000);

  it('login: 302 to the provider with PKCE S256, state and nonce, and an HttpOnly SameSite=Lax cookie', async () => {
    const flow = new Flow(base);
    const { res, location } = await flow.start();
    expect(res.status).toBe(302);
    const url = new URL(location);
    expect(url.origin).toBe(idp.issuer);
    const q = url.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(TEST_CLIENT_ID);
    expect(q.get('redirect_uri')).toBe(REDIRECT);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('scope')?.split(' ')).toEqual(['openid', 'profile', 'groups']);
    expect(location).not.toContain('gatehouse-client-secret');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_oidc='));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\/api\/auth\/oidc/);
    expect(cookie).toMatch(/; Max-Age=600/);
    // two logins started in one browser share its cookie, so that both can finish
    const again = await flow.start();
    expect(new URL(again.location).searchParams.get('state')).not.toBe(q.get('state'));
    expect(again.res.headers.getSetCookie().find((c) => c.startsWith('gatehouse_oidc='))).toBe(cookie);
  });

  it('callback: a Gatehouse token that works on /api/me; the user is oidc, bound by (issuer, sub), roles from groups', async () => {
    const { res } = await sso('alice');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'token', 'tokenId']);
    const me = await call('GET', '/api/me', res.body.token as string);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ username: 'alice', identityProvider: 'oidc', roles: [] });
    const alice = await userNamed('alice');
    expect(alice?.externalGroups).toEqual(['engineers', 'operators']); // lower case, sorted
    expect([...(alice?.groupRoles as string[])].sort()).toEqual([operatorsRole, engineersRole].sort());
    // no Gatehouse password: POST /api/login cannot reach an OIDC user
    expect(
      (await call('POST', '/api/login', undefined, { username: 'alice', password: 'alice-idp-pw-1' })).status,
    ).toBe(401);
    // bound by sub, not by name: a renamed provider user is still alice here (no second user)
    const account = idp.accounts.get('alice')!;
    idp.accounts.delete('alice');
    idp.accounts.set('alice-renamed', { ...account, username: 'alice-renamed' });
    try {
      const renamed = await sso('alice-renamed', 'alice-idp-pw-1');
      expect(renamed.res.status).toBe(200);
      expect((await call('GET', '/api/me', renamed.res.body.token as string)).body.id).toBe(alice?.id);
      expect(await userNamed('alice-renamed')).toBeUndefined();
    } finally {
      idp.accounts.delete('alice-renamed');
      idp.accounts.set('alice', account);
    }
    // another provider user (another sub) named alice is not alice
    idp.addAccount({ username: 'alice', password: 'impostor-pw-1', groups: [] });
    try {
      const other = await sso('alice', 'impostor-pw-1');
      expect(other.res.status).toBe(409);
      expect(other.res.body.code).toBe('IDENTITY.FEDERATED_NAME_CLASH');
    } finally {
      idp.accounts.set('alice', account);
    }
  });

  it('a provider user named admin does not become the local admin (OIDC_USERNAME_CLASH=refuse), audited', async () => {
    const before = await userNamed('admin');
    const { res } = await sso('admin');
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.code).toBe('IDENTITY.FEDERATED_NAME_CLASH');
    expect(res.body.token).toBeUndefined();
    const after = await userNamed('admin');
    expect(after).toMatchObject({ identityProvider: 'local', version: before?.version });
    expect((await call('GET', '/api/users?username=admin', admin)).body.items).toHaveLength(1);
    const refused = (await auditFailures()).filter(
      (e) => (e.target as Json).type === 'oidc-user' && (e.target as Json).name === 'admin',
    );
    expect(refused).toHaveLength(1);
  });

  it('state: replayed, forged, missing, or from another browser is a 400 problem, audited; never a token', async () => {
    const flow = new Flow(base);
    const { location } = await flow.start();
    const back = await loginAtProvider(flow.browser, location, REDIRECT, {
      username: 'dave',
      password: 'dave-idp-pw-1',
    });
    // another browser (no login cookie) with the right callback URL: refused, and the attempt is spent
    const stranger = new Flow(base);
    const stolen = await stranger.callback(back);
    expect(stolen.status).toBe(400);
    expect(stolen.body.code).toBe('IDENTITY.OIDC_STATE_INVALID');
    const replay = await flow.callback(back);
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe('IDENTITY.OIDC_STATE_INVALID');
    // a login that works once, and its replay
    const ok = await sso('dave');
    expect(ok.res.status).toBe(200);
    const replayed = await ok.flow.callback(ok.back);
    expect(replayed.status).toBe(400);
    expect(replayed.body.code).toBe('IDENTITY.OIDC_STATE_INVALID');
    // forged and missing states
    const forged = new URL(ok.back);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect((await ok.flow.callback(forged)).body.code).toBe('IDENTITY.OIDC_STATE_INVALID');
    const none = new URL(ok.back);
    none.searchParams.delete('state');
    const missing = await ok.flow.callback(none);
    expect(missing.status).toBe(400);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const twice = new URL(ok.back);
    twice.searchParams.append('state', ok.back.searchParams.get('state') as string);
    expect((await ok.flow.callback(twice)).status).toBe(400);
    const failures = (await auditFailures()).filter((e) => (e.target as Json).type === 'user');
    expect(failures.length).toBeGreaterThanOrEqual(5);
  });

  it('a nonce changed on the way to the provider: the ID token is refused (401), no user made', async () => {
    idp.addAccount({ username: 'nina', password: 'nina-idp-pw-1', groups: [] });
    const flow = new Flow(base);
    const { location } = await flow.start();
    const tampered = new URL(location);
    tampered.searchParams.set('nonce', 'n'.repeat(43));
    const back = await loginAtProvider(flow.browser, tampered.href, REDIRECT, {
      username: 'nina',
      password: 'nina-idp-pw-1',
    });
    const res = await flow.callback(back);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('IDENTITY.OIDC_ID_TOKEN_INVALID');
    expect(await userNamed('nina')).toBeUndefined();
  });

  it("a code issued to another client at the provider is refused (401), even with this login's state", async () => {
    const flow = new Flow(base);
    const { location } = await flow.start();
    const tampered = new URL(location);
    tampered.searchParams.set('client_id', OTHER_CLIENT_ID);
    const back = await loginAtProvider(flow.browser, tampered.href, REDIRECT, {
      username: 'dave',
      password: 'dave-idp-pw-1',
    });
    const res = await flow.callback(back);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('IDENTITY.PROVIDER_REFUSED');
    expect(res.body.token).toBeUndefined();
  });

  it('error=access_denied from the provider is a 401 problem naming it, audited as a failed login', async () => {
    const flow = new Flow(base);
    const { location } = await flow.start();
    const back = await loginAtProvider(flow.browser, location, REDIRECT, 'abort');
    expect(back.searchParams.get('error')).toBe('access_denied');
    const before = (await auditFailures()).length;
    const res = await flow.callback(back);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('IDENTITY.PROVIDER_REFUSED');
    expect(res.body.detail).toContain('access_denied');
    expect((await auditFailures()).length).toBe(before + 1);
  });

  it('disabled in Gatehouse stays out whatever the provider says, audited', async () => {
    expect((await sso('frank')).res.status).toBe(200);
    const frank = await userNamed('frank');
    expect(
      (
        await call('PATCH', `/api/users/${frank?.id as string}`, admin, {
          enabled: false,
          version: frank?.version,
        })
      ).status,
    ).toBe(200);
    const { res } = await sso('frank');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('IDENTITY.USER_DISABLED');
    expect(res.body.token).toBeUndefined();
    expect(
      (await auditFailures()).some(
        (e) => (e.target as Json).type === 'oidc-user' && (e.target as Json).name === 'frank',
      ),
    ).toBe(true);
  });

  it('refresh: a group change at the provider shows at once; the old token is revoked, the new one works', async () => {
    idp.addAccount({ username: 'gina', password: 'gina-idp-pw-1', groups: ['operators', 'engineers'] });
    const first = (await sso('gina')).res.body.token as string;
    const gina = await userNamed('gina');
    expect([...(gina?.groupRoles as string[])].sort()).toEqual([operatorsRole, engineersRole].sort());
    idp.accounts.get('gina')!.groups = ['operators'];
    const res = await call('POST', '/api/auth/refresh', first);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const second = res.body.token as string;
    expect(second).not.toBe(first);
    expect((await call('GET', '/api/me', first)).status).toBe(401);
    expect((await call('GET', '/api/me', second)).status).toBe(200);
    const after = await userNamed('gina');
    expect(after?.groupRoles).toEqual([operatorsRole]);
    expect(after?.externalGroups).toEqual(['operators']);
    // the provider rotates refresh tokens or not: a second refresh works from the new token
    const third = await call('POST', '/api/auth/refresh', second);
    expect(third.status).toBe(200);
    expect((await call('GET', '/api/me', second)).status).toBe(401);
  });

  it('a user removed at the provider cannot refresh: 401, and the calling token ends', async () => {
    idp.addAccount({ username: 'hugo', password: 'hugo-idp-pw-1', groups: ['operators'] });
    const token = (await sso('hugo')).res.body.token as string;
    idp.accounts.delete('hugo');
    const res = await call('POST', '/api/auth/refresh', token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('IDENTITY.PROVIDER_REFUSED');
    expect(res.body.token).toBeUndefined();
    expect((await call('GET', '/api/me', token)).status).toBe(401);
  });

  it('refresh of a local user or a labelled token: 409 problem', async () => {
    const local = await call('POST', '/api/auth/refresh', admin);
    expect(local.status).toBe(409);
    expect(local.body.code).toBe('IDENTITY.REFRESH_NOT_SUPPORTED');
    expect((await call('GET', '/api/me', admin)).status).toBe(200); // nothing was revoked
    expect((await call('POST', '/api/auth/refresh')).status).toBe(401);
  });

  it('OIDC_ADMIN_ACR / OIDC_ADMIN_AMR: an admin-level user without them is refused; with them admitted; others unaffected', async () => {
    const { res } = await sso('root-op');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH.OIDC_STEP_UP_REQUIRED');
    expect(res.body.detail).toContain('acr one of gold');
    expect(res.body.detail).toContain('amr with otp');
    expect(res.body.token).toBeUndefined();
    const account = idp.accounts.get('root-op')!;
    account.acr = 'gold';
    account.amr = ['pwd'];
    expect((await sso('root-op')).res.body.code).toBe('AUTH.OIDC_STEP_UP_REQUIRED'); // amr still lacks otp
    account.amr = ['pwd', 'otp'];
    const ok = await sso('root-op');
    expect(ok.res.status).toBe(200);
    expect((await call('GET', '/api/users', ok.res.body.token as string)).status).toBe(200);
    // the refreshed ID token keeps the login's acr/amr: the refresh is admitted too
    expect((await call('POST', '/api/auth/refresh', ok.res.body.token as string)).status).toBe(200);
    // alice holds no admin-level permission and logged in without acr/amr (test above)
  });

  it('JWKS rotation at the provider: the next login still works (the new key is fetched)', async () => {
    const before = idp.signingKeyIds;
    await idp.rotateKeys();
    expect(idp.signingKeyIds).not.toEqual(before);
    const { res } = await sso('dave');
    expect(res.status).toBe(200);
    expect((await call('GET', '/api/me', res.body.token as string)).status).toBe(200);
  });

  it('provider down at the callback: 503 problem, not 500; up again, logins work', async () => {
    const flow = new Flow(base);
    const { location } = await flow.start();
    const back = await loginAtProvider(flow.browser, location, REDIRECT, {
      username: 'dave',
      password: 'dave-idp-pw-1',
    });
    await idp.stop();
    try {
      const res = await flow.callback(back);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('IDENTITY.PROVIDER_UNAVAILABLE');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(res.body)).not.toContain('gatehouse-client-secret');
    } finally {
      await idp.resume();
    }
    expect((await sso('dave')).res.status).toBe(200);
  });
});

describe('OIDC_USERNAME_CLASH=suffix, a short login TTL (ADR 0023)', () => {
  let idp: TestOidcProvider;
  let api: TestAdminApi;

  beforeAll(async () => {
    idp = await TestOidcProvider.start({ redirectUri: REDIRECT, claimsInIdToken: false });
    idp.addAccount({ username: 'admin', password: 'admin-idp-pw-1', groups: ['operators'] });
    api = await startTestAdminApi(idp.env({ OIDC_USERNAME_CLASH: 'suffix', OIDC_LOGIN_TTL_SECONDS: '1' }));
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await idp?.stop();
  }, 30_000);

  it('a provider user named admin gets a distinct name, never the local admin; later logins find it by sub; audited as that user', async () => {
    const base = api.api.httpUrl;
    const login = async () => {
      const flow = new Flow(base);
      const { location } = await flow.start();
      const back = await loginAtProvider(flow.browser, location, REDIRECT, {
        username: 'admin',
        password: 'admin-idp-pw-1',
      });
      return flow.callback(back);
    };
    const res = await login();
    expect(res.status).toBe(200);
    const token = res.body.token as string;
    const me = await api.http.get('/api/me').set('authorization', `Bearer ${token}`);
    expect((me.body as Json).username).toBe('admin.oidc');
    // claims from userinfo (claimsInIdToken: false): the groups still arrive
    expect((me.body as Json).externalGroups).toEqual(['operators']);
    expect((await api.http.get('/api/users').set('authorization', `Bearer ${token}`)).status).toBe(403);
    const again = await login();
    expect(again.status).toBe(200);
    const adminToken = await api.adminToken();
    const users = await api.http
      .get('/api/users?username=admin')
      .set('authorization', `Bearer ${adminToken}`);
    expect((users.body.items as Json[]).map((u) => [u.username, u.identityProvider]).sort()).toEqual([
      ['admin', 'local'],
      ['admin.oidc', 'oidc'],
    ]);
    const audit = await api.http
      .get('/api/audit-events?action=auth.login&result=success&limit=50')
      .set('authorization', `Bearer ${adminToken}`);
    const named = (audit.body.items as Json[]).map((e) => (e.target as Json).name);
    expect(named.filter((n) => n === 'admin.oidc')).toHaveLength(2);
  });

  it('a login that took longer than OIDC_LOGIN_TTL_SECONDS is refused: 400 IDENTITY.OIDC_LOGIN_EXPIRED', async () => {
    const flow = new Flow(api.api.httpUrl);
    const { location } = await flow.start();
    const back = await loginAtProvider(flow.browser, location, REDIRECT, {
      username: 'admin',
      password: 'admin-idp-pw-1',
    });
    await sleep(1500);
    const res = await flow.callback(back);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('IDENTITY.OIDC_LOGIN_EXPIRED');
  });
});

describe('OIDC off (no OIDC_ISSUER)', () => {
  let api: TestAdminApi;

  beforeAll(async () => {
    api = await startTestAdminApi();
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
  }, 30_000);

  it('the OIDC routes answer 404 IDENTITY.OIDC_DISABLED as problem+json; refresh of a local user 409', async () => {
    for (const path of ['/api/auth/oidc/login', '/api/auth/oidc/callback?state=x&code=y']) {
      const res = await api.http.get(path);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect((res.body as Json).code).toBe('IDENTITY.OIDC_DISABLED');
    }
    const refresh = await api.http
      .post('/api/auth/refresh')
      .set('authorization', `Bearer ${await api.adminToken()}`);
    expect(refresh.status).toBe(409);
    expect((refresh.body as Json).code).toBe('IDENTITY.REFRESH_NOT_SUPPORTED');
  });
});
