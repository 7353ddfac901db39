import { randomUUID } from 'node:crypto';
import { createGatehouseClient, GatehouseApiError, type GatehouseClient } from '@gatehouse/sdk';
import { ADMIN_PASSWORD, startTestAdminApi, type TestAdminApi } from '../support/admin-api';

/** Issue 13: the generated SDK (packages/sdk) against the real server. */

/** The GatehouseApiError a call rejects with (fails the test when it resolves or rejects with something else). */
async function apiError(call: Promise<unknown>): Promise<GatehouseApiError> {
  const outcome = await call.then(
    (value) => ({ resolved: value }),
    (err: unknown) => ({ rejected: err }),
  );
  if (!('rejected' in outcome))
    throw new Error(`expected a GatehouseApiError, got ${JSON.stringify(outcome)}`);
  expect(outcome.rejected).toBeInstanceOf(GatehouseApiError);
  return outcome.rejected as GatehouseApiError;
}

describe('@gatehouse/sdk against the admin API', () => {
  let t: TestAdminApi;
  let gh: GatehouseClient;
  /** Authorization headers sent, by path. */
  const sent: { path: string; authorization: string | null }[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    const req = new Request(input, init);
    sent.push({ path: new URL(req.url).pathname, authorization: req.headers.get('authorization') });
    return fetch(req);
  };

  beforeAll(async () => {
    t = await startTestAdminApi();
    gh = createGatehouseClient({ baseUrl: `${t.api.httpUrl}/`, fetch: recordingFetch });
    const { data } = await gh.auth.login({ body: { username: 'admin', password: ADMIN_PASSWORD } });
    expect(data.token).toEqual(expect.any(String));
    gh.setToken(data.token);
  });
  afterAll(async () => {
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  it('sends the bearer token on guarded operations and none on public ones', async () => {
    sent.length = 0;
    const me = await gh.auth.me();
    expect(me.data.username).toBe('admin');
    await gh.auth.passwordPolicy();
    expect(sent).toEqual([
      { path: '/api/me', authorization: expect.stringMatching(/^Bearer \S+$/) as string },
      { path: '/api/auth/password-policy', authorization: null },
    ]);
  });

  it('without a token: a 401 GatehouseApiError carrying the problem', async () => {
    const anonymous = createGatehouseClient({ baseUrl: t.api.httpUrl });
    const err = await apiError(anonymous.users.list());
    expect(err.status).toBe(401);
    expect(err.code).toBe('AUTH.UNAUTHENTICATED');
    expect(err.problem).toEqual({
      type: 'urn:gatehouse:problem:auth.unauthenticated',
      title: 'unauthorized',
      status: 401,
      detail: 'missing bearer token',
      code: 'AUTH.UNAUTHENTICATED',
    });
    expect(err.message).toBe('401 AUTH.UNAUTHENTICATED: missing bearer token');
  });

  describe('roles and users', () => {
    let roleId: string;
    let userId: string;

    it('creates a role and updates it with If-Match; a stale ETag is a 412, none at all a 428', async () => {
      const created = await gh.roles.create({
        body: {
          name: 'sdk-readers',
          permissions: [{ context: 'mqtt', resource: 'plant/+/telemetry', operation: 'read' }],
        },
      });
      expect(created.response.status).toBe(201);
      roleId = created.data.id;
      expect(created.data.version).toBe(1);
      const etag = created.response.headers.get('etag')!;
      expect(etag).toBe('"1"');

      const updated = await gh.roles.update({
        path: { id: roleId },
        headers: { 'If-Match': etag },
        body: { description: 'reads telemetry' },
      });
      expect(updated.data).toMatchObject({ description: 'reads telemetry', version: 2 });
      expect(updated.response.headers.get('etag')).toBe('"2"');

      const stale = await apiError(
        gh.roles.update({ path: { id: roleId }, headers: { 'If-Match': etag }, body: { description: 'x' } }),
      );
      expect([stale.status, stale.code]).toEqual([412, 'IDENTITY.PRECONDITION_FAILED']);
      const blind = await apiError(gh.roles.update({ path: { id: roleId }, body: { description: 'x' } }));
      expect([blind.status, blind.code]).toEqual([428, 'HTTP.PRECONDITION_REQUIRED']);
      const viaBody = await apiError(
        gh.roles.update({ path: { id: roleId }, body: { description: 'x', version: 1 } }),
      );
      expect([viaBody.status, viaBody.code]).toEqual([409, 'IDENTITY.VERSION_CONFLICT']);
      expect((await gh.roles.get({ path: { id: roleId } })).data.description).toBe('reads telemetry');
    });

    it('creates a user with the role, gets it and finds it in the list', async () => {
      const created = await gh.users.create({
        body: {
          username: 'sdk-alice',
          password: 'sdk-alice-secret-1',
          roles: [roleId],
          // the token grant lets the user make labelled tokens (ADR 0011)
          grantTypes: [
            { method: 'password', isRequired: false },
            { method: 'token', isRequired: false },
          ],
        },
      });
      expect(created.response.status).toBe(201);
      userId = created.data.id;
      expect(created.data).toMatchObject({ username: 'sdk-alice', roles: [roleId], enabled: true });
      expect(created.data).not.toHaveProperty('password');

      const got = await gh.users.get({ path: { id: userId } });
      expect(got.data.username).toBe('sdk-alice');
      expect(got.response.headers.get('etag')).toBe(`"${got.data.version}"`);

      const page = await gh.users.list({ query: { username: 'sdk-', limit: 10 } });
      expect(page.data.items.map((u) => u.username)).toEqual(['sdk-alice']);
      expect(page.data.nextCursor).toBeNull();
    });

    it('surfaces a 409 (duplicate user) and a 404 (unknown user) as GatehouseApiError with their codes', async () => {
      const dup = await apiError(
        gh.users.create({ body: { username: 'sdk-alice', password: 'another-secret-1' } }),
      );
      expect([dup.status, dup.code]).toEqual([409, 'IDENTITY.USER_EXISTS']);
      expect(dup.problem.type).toBe('urn:gatehouse:problem:identity.user_exists');

      const missing = await apiError(gh.users.get({ path: { id: randomUUID() } }));
      expect([missing.status, missing.code]).toEqual([404, 'IDENTITY.USER_NOT_FOUND']);

      const invalid = await apiError(gh.users.create({ body: { username: 'a/b' } }));
      expect([invalid.status, invalid.code]).toEqual([400, 'VALIDATION']);
      expect(invalid.problem.errors).toEqual([expect.stringMatching(/username/)]);
    });

    it('tokens: a labelled login is listed, revoked, and then refused', async () => {
      const alice = createGatehouseClient({ baseUrl: t.api.httpUrl });
      const login = await alice.auth.login({
        body: { username: 'sdk-alice', password: 'sdk-alice-secret-1', label: 'sdk-ci' },
      });
      alice.setToken(login.data.token);
      expect((await alice.auth.me()).data.id).toBe(userId);

      const listed = await gh.users.tokens({ path: { id: userId } });
      expect(listed.data.items).toEqual([
        expect.objectContaining({ id: login.data.tokenId, label: 'sdk-ci', revokedAt: null }),
      ]);

      const revoked = await gh.users.revokeToken({ path: { id: userId, tokenId: login.data.tokenId } });
      expect(revoked.response.status).toBe(204);
      const after = await gh.users.tokens({ path: { id: userId } });
      expect(after.data.items[0].revokedAt).toEqual(expect.any(String));

      const refused = await apiError(alice.auth.me());
      expect(refused.status).toBe(401);
      const again = await apiError(gh.users.revokeToken({ path: { id: userId, tokenId: randomUUID() } }));
      expect([again.status, again.code]).toEqual([404, 'IDENTITY.TOKEN_NOT_FOUND']);
    });
  });

  describe('client registry', () => {
    it('reads the state, unlocks, takes a public registration (202) and lists it', async () => {
      expect((await gh.clientRegistry.state()).data.state).toBe('locked');

      const device = createGatehouseClient({ baseUrl: t.api.httpUrl });
      const locked = await apiError(
        device.clientRegistry.register({ body: { username: 'sdk-press-1', password: 'press-secret-1' } }),
      );
      expect([locked.status, locked.code]).toEqual([423, 'REGISTRY.LOCKED']);

      const unlocked = await gh.clientRegistry.unlock({ body: { durationMs: 60_000 } });
      expect(unlocked.data.state).toBe('unlocked');
      expect(unlocked.data.unlockedUntil).toEqual(expect.any(String));

      const pending = await device.clientRegistry.register({
        body: { username: 'sdk-press-1', password: 'press-secret-1' },
      });
      expect(pending.response.status).toBe(202);
      expect(pending.data).toMatchObject({ state: 'pending', requestId: expect.any(String) as string });

      const requests = await gh.clientRegistry.list({ query: { state: 'pending' } });
      expect(requests.data.items.map((r) => r.username)).toEqual(['sdk-press-1']);
      expect((await gh.clientRegistry.lock()).data.state).toBe('locked');
    });
  });
});
