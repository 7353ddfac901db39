/**
 * Issue 12 (Passport part), ADR 0026: authentication runs through @nestjs/passport strategies (`bearer`
 * for every non-public route, `local` then `ldap` for POST /api/login) on a real admin-api and database
 * over real HTTP, and answers exactly what it answered before: each case's own status, code and detail,
 * never Passport's bare 401 ("Unauthorized"). Also: a revoked token is refused at the very next request,
 * a bearer token is read from the Authorization header only, and two apps in one process never answer
 * with each other's strategies (Passport's registry is process-wide).
 */
import { createServer } from 'node:net';
import { ADMIN_PASSWORD, startTestAdminApi, type TestAdminApi } from '../support/admin-api';

jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any;
type Res = { status: number; headers: Record<string, string>; body: Json };

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** The whole problem document, so that a generic answer ("Unauthorized", another code or detail) fails. */
function expectProblem(res: Res, status: number, code: string, detail: string | RegExp): void {
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.body).toEqual({
    type: `urn:gatehouse:problem:${code.toLowerCase()}`,
    title: expect.any(String) as string,
    status,
    code,
    detail: typeof detail === 'string' ? detail : expect.stringMatching(detail),
  });
  expect(res.status).toBe(status);
}

/** A TCP port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Passport strategies keep the answers (issue 12, ADR 0026)', () => {
  let t: TestAdminApi;
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi({
      LOGIN_TOKEN_MAX_HOURS: '12',
      LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '3',
    });
    admin = await t.adminToken();
  });
  afterAll(async () => {
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  const createUser = async (username: string, password: string) => {
    const res = await t.http.post('/api/users').set(bearer(admin)).send({ username, password });
    expect(res.status).toBe(201);
    return (res.body as { id: string }).id;
  };

  describe('bearer', () => {
    it('no Authorization header: 401 AUTH.UNAUTHENTICATED "missing bearer token"', async () => {
      expectProblem(await t.http.get('/api/me'), 401, 'AUTH.UNAUTHENTICATED', 'missing bearer token');
    });

    it('a valid token in the query string, a cookie or the body is ignored (only the header counts)', async () => {
      const token = await t.login('admin', ADMIN_PASSWORD);
      await t.http.get('/api/me').set(bearer(token)).expect(200); // the token itself is good
      for (const res of [
        await t.http.get(`/api/me?access_token=${token}`),
        await t.http.get('/api/me').set('Cookie', `access_token=${token}; token=${token}`),
        await t.http.post('/api/logout').send({ access_token: token }),
      ])
        expectProblem(res, 401, 'AUTH.UNAUTHENTICATED', 'missing bearer token');
      await t.http.get('/api/me').set(bearer(token)).expect(200); // and it was not used to log out
    });

    it('a malformed or foreign token: 401 IDENTITY.INVALID_TOKEN with its detail', async () => {
      expectProblem(
        await t.http.get('/api/me').set(bearer('not-a-jwt')),
        401,
        'IDENTITY.INVALID_TOKEN',
        'malformed token',
      );
    });

    it('a token revoked by logout is refused at the very next request', async () => {
      const token = await t.login('admin', ADMIN_PASSWORD);
      await t.http.get('/api/me').set(bearer(token)).expect(200);
      await t.http.post('/api/logout').set(bearer(token)).expect(204);
      expectProblem(
        await t.http.get('/api/me').set(bearer(token)),
        401,
        'IDENTITY.INVALID_TOKEN',
        'invalid or expired token',
      );
    });

    it('a long-lived (labelled) token works, and is refused at the very next request once an admin revokes it', async () => {
      const id = await createUser('longlived', 'longlived-secret-1');
      const user = (await t.http.get(`/api/users/${id}`).set(bearer(admin)).expect(200)) as Res;
      await t.http
        .patch(`/api/users/${id}`)
        .set(bearer(admin))
        .set('If-Match', user.headers.etag)
        .send({
          grantTypes: [
            { method: 'password', isRequired: false },
            { method: 'token', isRequired: false },
          ],
        })
        .expect(200);
      const login = await t.http
        .post('/api/login')
        .send({ username: 'longlived', password: 'longlived-secret-1', label: 'ci' })
        .expect(200);
      const { token, tokenId } = login.body as { token: string; tokenId: string };
      await t.http.get('/api/me').set(bearer(token)).expect(200);
      await t.http.delete(`/api/users/${id}/tokens/${tokenId}`).set(bearer(admin)).expect(204);
      expectProblem(
        await t.http.get('/api/me').set(bearer(token)),
        401,
        'IDENTITY.INVALID_TOKEN',
        'invalid or expired token',
      );
    });

    it("a disabled user's token is refused at the very next request", async () => {
      const id = await createUser('soon-disabled', 'soon-disabled-secret-1');
      const token = await t.login('soon-disabled', 'soon-disabled-secret-1');
      await t.http.get('/api/me').set(bearer(token)).expect(200);
      const user = (await t.http.get(`/api/users/${id}`).set(bearer(admin)).expect(200)) as Res;
      await t.http
        .patch(`/api/users/${id}`)
        .set(bearer(admin))
        .set('If-Match', user.headers.etag)
        .send({ enabled: false })
        .expect(200);
      expectProblem(
        await t.http.get('/api/me').set(bearer(token)),
        401,
        'IDENTITY.INVALID_TOKEN',
        'invalid or expired token',
      );
      // and its login answers the login's own error, the same as a wrong password
      expectProblem(
        await t.http
          .post('/api/login')
          .send({ username: 'soon-disabled', password: 'soon-disabled-secret-1' }),
        401,
        'IDENTITY.INVALID_CREDENTIALS',
        'invalid username or password',
      );
    });

    it('deny by default stays: a public route needs no token, an authenticated one still needs the permission', async () => {
      await t.http.get('/api/auth/password-policy').expect(200);
      await createUser('no-perms', 'no-perms-secret-1');
      const token = await t.login('no-perms', 'no-perms-secret-1');
      expectProblem(
        await t.http.get('/api/roles').set(bearer(token)),
        403,
        'AUTH.FORBIDDEN',
        'no http permission allows GET /api/roles',
      );
    });
  });

  describe('login (local)', () => {
    it('unknown user and wrong password: 401 IDENTITY.INVALID_CREDENTIALS, the same answer', async () => {
      for (const body of [
        { username: 'nobody-here', password: 'whatever-1' },
        { username: 'admin', password: 'wrong-password-1' },
      ])
        expectProblem(
          await t.http.post('/api/login').send(body),
          401,
          'IDENTITY.INVALID_CREDENTIALS',
          'invalid username or password',
        );
    });

    it('a malformed body is the validation 400, before any credential is looked at (no failure counted)', async () => {
      await createUser('malformed', 'malformed-secret-1');
      const bodies: [object, RegExp][] = [
        [{ username: 'malformed', password: 'wrong-1', role: 'x' }, /role/],
        [{ username: 'malformed', password: 42 }, /password/],
        [{ username: 'malformed', password: 'wrong-1', otp: 'x'.repeat(17) }, /otp/],
        [{ username: 'malformed' }, /password/],
      ];
      for (const [body, field] of bodies) {
        const res = (await t.http.post('/api/login').send(body)) as Res;
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({
          status: 400,
          code: 'VALIDATION',
          detail: expect.stringMatching(field),
        });
      }
      // four wrong passwords would have reached the limit of 3: none was tried
      await t.http
        .post('/api/login')
        .send({ username: 'malformed', password: 'malformed-secret-1' })
        .expect(200);
    });

    it('a lifetime above the cap is 400 IDENTITY.TOKEN_LIFETIME_TOO_LONG, even with a wrong password', async () => {
      expectProblem(
        await t.http.post('/api/login').send({ username: 'admin', password: 'wrong', expireTimeInHours: 13 }),
        400,
        'IDENTITY.TOKEN_LIFETIME_TOO_LONG',
        /LOGIN_TOKEN_MAX_HOURS \(12 h\)/,
      );
    });

    it('a labelled token without the token grant is 403 IDENTITY.GRANT_REQUIRED', async () => {
      await createUser('no-token-grant', 'no-token-grant-secret-1');
      expectProblem(
        await t.http
          .post('/api/login')
          .send({ username: 'no-token-grant', password: 'no-token-grant-secret-1', label: 'ci' }),
        403,
        'IDENTITY.GRANT_REQUIRED',
        /grant types do not admit a labelled token/,
      );
    });

    it('throttled: 429 IDENTITY.RATE_LIMITED with Retry-After, also for the right password', async () => {
      await createUser('throttled', 'throttled-secret-1');
      for (let i = 0; i < 3; i++)
        await t.http.post('/api/login').send({ username: 'throttled', password: 'wrong-1' }).expect(401);
      const res = (await t.http
        .post('/api/login')
        .send({ username: 'throttled', password: 'throttled-secret-1' })) as Res;
      expectProblem(res, 429, 'IDENTITY.RATE_LIMITED', 'too many failed logins; try again later');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('the answer keeps its shape', async () => {
      const res = await t.http
        .post('/api/login')
        .send({ username: 'admin', password: ADMIN_PASSWORD })
        .expect(200);
      expect(Object.keys(res.body as object).sort()).toEqual(['expiresAt', 'token', 'tokenId']);
    });
  });
});

describe('login with the directory down (ldap strategy, SPEC 2.1a)', () => {
  let t: TestAdminApi;

  beforeAll(async () => {
    const port = await closedPort();
    t = await startTestAdminApi({
      LDAP_URL: `ldap://127.0.0.1:${port}`,
      LDAP_BIND_DN: 'cn=gatehouse,ou=services,dc=plant,dc=test',
      LDAP_BIND_PASSWORD: 'service-secret-1',
      LDAP_USER_BASE: 'ou=people,dc=plant,dc=test',
      LDAP_USER_FILTER: '(uid={{username}})',
      LDAP_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('a name unknown here is 503 IDENTITY.DIRECTORY_UNAVAILABLE, not a 401', async () => {
    const res = (await t.http
      .post('/api/login')
      .send({ username: 'dora', password: 'dora-secret-1' })) as Res;
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 503, code: 'IDENTITY.DIRECTORY_UNAVAILABLE' });
  });

  it("a local user's login does not depend on the directory (right password: 200, wrong: 401)", async () => {
    await t.http.post('/api/login').send({ username: 'admin', password: ADMIN_PASSWORD }).expect(200);
    expectProblem(
      await t.http.post('/api/login').send({ username: 'admin', password: 'wrong-password-1' }),
      401,
      'IDENTITY.INVALID_CREDENTIALS',
      'invalid username or password',
    );
  });
});

describe('two admin-apis in one process (Passport registry is process-wide)', () => {
  let a: TestAdminApi;
  let b: TestAdminApi;

  beforeAll(async () => {
    a = await startTestAdminApi();
    b = await startTestAdminApi(); // constructed last: its strategies are the ones under the base names
  });
  afterAll(async () => {
    await b.stop();
    await a.stop();
  });

  it("each app authenticates against its own database: A's user logs in at A only, A's token works at A only", async () => {
    const adminA = await a.adminToken();
    await a.http
      .post('/api/users')
      .set(bearer(adminA))
      .send({ username: 'only-in-a', password: 'only-in-a-secret-1' })
      .expect(201);
    const token = await a.login('only-in-a', 'only-in-a-secret-1');
    await a.http.get('/api/me').set(bearer(token)).expect(200);
    expectProblem(
      await b.http.post('/api/login').send({ username: 'only-in-a', password: 'only-in-a-secret-1' }),
      401,
      'IDENTITY.INVALID_CREDENTIALS',
      'invalid username or password',
    );
    expectProblem(
      await b.http.get('/api/me').set(bearer(token)),
      401,
      'IDENTITY.INVALID_TOKEN',
      'invalid or expired token',
    );
  });
});
