import { AuthService, type IdentityError, UserService } from '@gatehouse/identity';
import type { CreateUserDtoWritable, GatehouseClient, PermissionDto, UserPageDto } from '@gatehouse/sdk';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import { type Answer, answer, expectAnswer, sdkClient } from '../support/sdk';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('admin API (issue 2)', () => {
  let t: TestAdminApi;
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
  });
  afterAll(async () => {
    // Case 7: across this whole suite, no response body carried a hash, a private key or a TOTP secret.
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  // Users, roles and tokens through the generated SDK (issue 13); the wire-level cases (forged tokens,
  // trailing slashes, malformed JSON) stay on raw HTTP.
  /** The SDK as the holder of `token` (none: anonymous). */
  const gh = (token?: string): GatehouseClient => sdkClient(t.api.httpUrl, token);
  async function createRole(name: string, permissions: object[], token = admin) {
    return answer(gh(token).roles.create({ body: { name, permissions: permissions as PermissionDto[] } }));
  }
  async function createUser(body: object, token = admin) {
    return answer(gh(token).users.create({ body: body as CreateUserDtoWritable }));
  }
  const getUser = (id: string, token = admin) => answer(gh(token).users.get({ path: { id } }));
  const patchUser = (id: string, body: object, token = admin, headers: { 'If-Match'?: string } = {}) =>
    answer(gh(token).users.update({ path: { id }, body: body, headers }));
  const listUsers = (token: string) => answer(gh(token).users.list());
  /** Disables a user, based on the version just read (an update without one is a 428). */
  async function disable(id: string) {
    const current = await expectAnswer(gh(admin).users.get({ path: { id } }), 200);
    await expectAnswer(
      gh(admin).users.update({
        path: { id },
        headers: { 'If-Match': current.headers.etag },
        body: { enabled: false },
      }),
      200,
    );
  }

  describe('case 1: http permissions guard every route', () => {
    let aliceId: string;
    let alice: string;

    beforeAll(async () => {
      const role = await createRole('user-reader', [
        { context: 'http', resource: '/api/users/#', operation: 'read' },
        { context: 'http', resource: '/api/users', operation: 'read' },
      ]);
      expect(role.status).toBe(201);
      const user = await createUser({ username: 'alice', password: 'alice-secret-1', roles: [role.body.id] });
      expect(user.status).toBe(201);
      aliceId = user.body.id;
      alice = await t.login('alice', 'alice-secret-1');
    });

    it('lets alice read users', async () => {
      await t.http.get('/api/users').set(bearer(alice)).expect(200);
      const one = await t.http.get(`/api/users/${aliceId}`).set(bearer(alice)).expect(200);
      expect(one.body.username).toBe('alice');
      expect(one.headers.etag).toBe(`"${one.body.version}"`);
    });

    it('refuses what alice may not do with 403 problem+json', async () => {
      const post = await t.http
        .post('/api/users')
        .set(bearer(alice))
        .send({ username: 'mallory', password: 'whatever-123' });
      expect(post.status).toBe(403);
      expect(post.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(post.body).toMatchObject({ status: 403, code: 'AUTH.FORBIDDEN' });
      await t.http.get('/api/roles').set(bearer(alice)).expect(403);
      await t.http.delete(`/api/users/${aliceId}`).set(bearer(alice)).expect(403);
    });

    it('answers 401 without a token, or with a forged one', async () => {
      const res = await t.http.get('/api/users').expect(401);
      expect(res.body.code).toBe('AUTH.UNAUTHENTICATED');
      const [h, p] = alice.split('.');
      const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
      await t.http.get('/api/users').set(bearer(none)).expect(401);
      await t.http
        .get('/api/users')
        .set(bearer(`${h}.${p}.AAAA${alice.split('.')[2].slice(4)}`))
        .expect(401);
    });

    it('checks the path the router matched: a trailing slash does not open the list route', async () => {
      const u = await createUser({
        username: 'one-by-id',
        password: 'one-by-id-secret-1',
        permissions: [{ context: 'http', resource: '/api/users/+', operation: 'read' }],
      });
      const token = await t.login('one-by-id', 'one-by-id-secret-1');
      await t.http.get(`/api/users/${u.body.id}`).set(bearer(token)).expect(200);
      await t.http.get('/api/users/').set(bearer(token)).expect(403);
      await t.http.get('/api/users').set(bearer(token)).expect(403);
    });

    it('lets any authenticated user read /api/me, with effective permissions', async () => {
      const me = await t.http.get('/api/me').set(bearer(alice)).expect(200);
      expect(me.body.username).toBe('alice');
      expect(me.body.effectivePermissions).toHaveLength(2);
    });
  });

  describe('case 2: no privilege escalation', () => {
    let editor: string;
    let bobId: string;

    beforeAll(async () => {
      const role = await createRole('role-editor', [
        { context: 'http', resource: '/api/roles/#', operation: 'readWrite' },
        { context: 'http', resource: '/api/roles', operation: 'readWrite' },
        { context: 'http', resource: '/api/users/#', operation: 'readWrite' },
        { context: 'http', resource: '/api/users', operation: 'readWrite' },
      ]);
      expect(
        (await createUser({ username: 'editor', password: 'editor-secret-1', roles: [role.body.id] })).status,
      ).toBe(201);
      const bob = await createUser({ username: 'bob', password: 'bob-secret-12' });
      bobId = bob.body.id;
      editor = await t.login('editor', 'editor-secret-1');
    });

    it('cannot create a role with {http, /#, readWrite}', async () => {
      const before = await answer(gh(admin).roles.list({ query: { limit: 200 } }));
      const res = await createRole(
        'superuser',
        [{ context: 'http', resource: '/#', operation: 'readWrite' }],
        editor,
      );
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('AUTH.ESCALATION');
      const after = await answer(gh(admin).roles.list({ query: { limit: 200 } }));
      expect(after.body.items).toEqual(before.body.items);
    });

    it('cannot assign role admin to anyone, and nothing changes', async () => {
      const roles = await answer(gh(admin).roles.list({ query: { name: 'admin' } }));
      const adminRoleId = roles.body.items[0].id;
      const bob = await getUser(bobId);
      const res = await patchUser(bobId, { roles: [adminRoleId], version: bob.body.version }, editor);
      expect(res.status).toBe(403);
      const create = await createUser(
        { username: 'eve', password: 'eve-secret-12', roles: [adminRoleId] },
        editor,
      );
      expect(create.status).toBe(403);
      const bobAfter = await getUser(bobId);
      expect(bobAfter.body).toEqual(bob.body);
      const eve = await answer(gh(admin).users.list({ query: { username: 'eve' } }));
      expect([eve.status, eve.body]).toEqual([200, { items: [], nextCursor: null }]);
    });

    it('cannot take over the admin account by changing its password', async () => {
      const me = await answer(gh(admin).auth.me());
      const res = await patchUser(
        me.body.id,
        { password: 'taken-over-123', version: me.body.version ?? 1 },
        editor,
      );
      expect(res.status).toBe(403);
    });

    it('can hand out what it holds', async () => {
      const res = await createRole(
        'roles-reader',
        [{ context: 'http', resource: '/api/roles/+', operation: 'read' }],
        editor,
      );
      expect(res.status).toBe(201);
    });
  });

  describe('case 3: tokens stop working at once', () => {
    async function userWithToken(name: string) {
      const u = await createUser({
        username: name,
        password: `${name}-secret-1`,
        permissions: [{ context: 'http', resource: '/api/users', operation: 'read' }],
        // the token grant lets the user make labelled tokens (ADR 0011)
        grantTypes: [
          { method: 'password', isRequired: false },
          { method: 'token', isRequired: false },
        ],
      });
      expect(u.status).toBe(201);
      return { id: u.body.id, token: await t.login(name, `${name}-secret-1`) };
    }

    it('disabled user → 401', async () => {
      const u = await userWithToken('carol');
      expect((await listUsers(u.token)).status).toBe(200);
      await disable(u.id);
      expect((await listUsers(u.token)).status).toBe(401);
    });

    it('password change → the old token gets 401', async () => {
      const u = await userWithToken('dave');
      await expectAnswer(
        gh(u.token).auth.changePassword({
          body: { currentPassword: 'dave-secret-1', newPassword: 'dave-secret-2' },
        }),
        204,
      );
      expect((await listUsers(u.token)).status).toBe(401);
      const fresh = await t.login('dave', 'dave-secret-2');
      expect((await listUsers(fresh)).status).toBe(200);
    });

    it('revoked long-lived token → 401; it is listed first', async () => {
      const u = await userWithToken('erin');
      const labelled = await expectAnswer(
        gh().auth.login({ body: { username: 'erin', password: 'erin-secret-1', label: 'ci-pipeline' } }),
        200,
      );
      const list = await expectAnswer(gh(admin).users.tokens({ path: { id: u.id } }), 200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({
        id: labelled.body.tokenId,
        label: 'ci-pipeline',
        revokedAt: null,
      });
      expect((await listUsers(labelled.body.token)).status).toBe(200);
      await expectAnswer(
        gh(admin).users.revokeToken({ path: { id: u.id, tokenId: labelled.body.tokenId } }),
        204,
      );
      expect((await listUsers(labelled.body.token)).status).toBe(401);
      expect((await listUsers(u.token)).status).toBe(200);
    });

    it('logout revokes the current token; deleting the user ends its tokens', async () => {
      const u = await userWithToken('frank');
      await expectAnswer(gh(u.token).auth.logout(), 204);
      expect((await listUsers(u.token)).status).toBe(401);
      const again = await t.login('frank', 'frank-secret-1');
      await expectAnswer(gh(admin).users.delete({ path: { id: u.id } }), 204);
      expect((await answer(gh(again).auth.me())).status).toBe(401);
    });
  });

  describe('concurrent requests (token checks and user reads are coalesced per event-loop turn)', () => {
    it('answers each of many simultaneous requests with its own user and its own token verdict', async () => {
      const users: { id: string; username: string; token: string }[] = [];
      for (let i = 0; i < 6; i++) {
        const username = `conc-${i}`;
        const u = await createUser({
          username,
          password: `${username}-secret-1`,
          permissions: [{ context: 'http', resource: '/api/users/#', operation: 'read' }],
        });
        expect(u.status).toBe(201);
        users.push({
          id: u.body.id,
          username,
          token: await t.login(username, `${username}-secret-1`),
        });
      }
      // users 4 and 5 lose their tokens: 4 logs out, 5 is disabled
      await t.http.post('/api/logout').set(bearer(users[4].token)).expect(204);
      await disable(users[5].id);
      const missing = '00000000-0000-4000-8000-000000000000';
      const requests = [];
      for (let round = 0; round < 3; round++) {
        for (const caller of users) {
          // targets in an order unlike the database's (username) order, the unknown id among them
          const targets = [
            users[3],
            { id: missing, username: '' },
            users[0],
            users[5],
            users[2],
            users[4],
            users[1],
          ];
          for (const target of round % 2 === 0 ? targets : [...targets].reverse()) {
            requests.push(
              t.http
                .get(`/api/users/${target.id}`)
                .set(bearer(caller.token))
                .then((res) => ({ caller, target, res })),
            );
          }
        }
      }
      for (const { caller, target, res } of await Promise.all(requests)) {
        const usable = caller !== users[4] && caller !== users[5];
        const expected = !usable ? 401 : target.id === missing ? 404 : 200;
        expect({ caller: caller.username, target: target.id, status: res.status }).toEqual({
          caller: caller.username,
          target: target.id,
          status: expected,
        });
        if (expected === 200) expect(res.body).toMatchObject({ id: target.id, username: target.username });
      }
    });

    it('gives each of the look-ups coalesced into one query its own answer', async () => {
      const [a, b, c] = await Promise.all(
        ['conc-a', 'conc-b', 'conc-c'].map(async (username) => {
          const u = await createUser({ username, password: `${username}-secret-1` });
          return {
            id: u.body.id,
            username,
            token: await t.login(username, `${username}-secret-1`),
          };
        }),
      );
      await t.http.post('/api/logout').set(bearer(b.token)).expect(204);
      const missing = '00000000-0000-4000-8000-000000000000';
      // called in one turn of the event loop: one query each for the users and for the tokens
      const users = t.api.app.get(UserService);
      const views = await Promise.allSettled([c.id, missing, a.id, b.id, c.id].map((id) => users.get(id)));
      expect(
        views.map((v) => (v.status === 'fulfilled' ? v.value.username : (v.reason as IdentityError).code)),
      ).toEqual(['conc-c', 'IDENTITY.USER_NOT_FOUND', 'conc-a', 'conc-b', 'conc-c']);
      const auth = t.api.app.get(AuthService);
      const sessions = await Promise.allSettled([c, b, a].map((u) => auth.authenticateBearer(u.token)));
      expect(
        sessions.map((v) => (v.status === 'fulfilled' ? v.value.username : (v.reason as IdentityError).code)),
      ).toEqual(['conc-c', 'IDENTITY.INVALID_TOKEN', 'conc-a']);
    });
  });

  describe('case 4: failed-login limit', () => {
    it('answers 429 with Retry-After on the 11th failure; unknown user and wrong password look alike', async () => {
      expect((await createUser({ username: 'grace', password: 'grace-secret-1' })).status).toBe(201);
      const wrong = await t.http.post('/api/login').send({ username: 'grace', password: 'nope-nope' });
      const unknown = await t.http
        .post('/api/login')
        .send({ username: 'nobody-here', password: 'nope-nope' });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      for (let i = 2; i <= 10; i++)
        await t.http
          .post('/api/login')
          .send({ username: 'grace', password: `nope-${i}` })
          .expect(401);
      const eleventh = await t.http
        .post('/api/login')
        .send({ username: 'grace', password: 'grace-secret-1' });
      expect(eleventh.status).toBe(429);
      expect(Number(eleventh.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(eleventh.headers['retry-after'])).toBeLessThanOrEqual(900);
      expect(eleventh.body.code).toBe('IDENTITY.RATE_LIMITED');
      // Other users are not affected.
      await t.login('alice', 'alice-secret-1');
    });
  });

  describe('case 5: no lost updates', () => {
    it('two concurrent PATCHes with the same version: one wins, one gets 409', async () => {
      const role = await createRole('concurrent', [{ context: 'mqtt', resource: 'a/#', operation: 'read' }]);
      const v = role.body.version;
      const patchRole = (resource: string) =>
        answer(
          gh(admin).roles.update({
            path: { id: role.body.id },
            body: { version: v, permissions: [{ context: 'mqtt', resource, operation: 'read' }] },
          }),
        );
      const [a, b] = await Promise.all([patchRole('b/#'), patchRole('c/#')]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      const winner = a.status === 200 ? a : b;
      const now = await answer(gh(admin).roles.get({ path: { id: role.body.id } }));
      expect(now.body.permissions.map((p: { resource: string }) => p.resource)).toEqual(
        winner.body.permissions.map((p: { resource: string }) => p.resource),
      );
      expect(now.body.version).toBe(v + 1);
    });

    it('a stale If-Match gets 412', async () => {
      const role = await createRole('if-match', []);
      const patchRole = (description: string) =>
        answer(
          gh(admin).roles.update({
            path: { id: role.body.id },
            headers: { 'If-Match': role.headers.etag },
            body: { description },
          }),
        );
      expect((await patchRole('one')).status).toBe(200);
      const stale = await patchRole('two');
      expect(stale.status).toBe(412);
      expect(stale.body.code).toBe('IDENTITY.PRECONDITION_FAILED');
    });
  });

  describe('case 6: invalid input → 400 naming the rule', () => {
    it.each([
      ['mqtt', 'a/#/b', /#/],
      ['mqtt', 'a+/b', /\+/],
      ['http', 'api/users', /start with '\/'/],
      ['mqtt', '', /empty/],
    ])('%s %j', async (context, resource, rule) => {
      const res = await createRole(`bad-${Math.random().toString(36).slice(2)}`, [
        { context, resource, operation: 'read' },
      ]);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.detail).toMatch(rule);
    });

    it('refuses unknown body fields', async () => {
      const res = await createUser({ username: 'henry', password: 'henry-secret-1', isAdmin: true });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/isAdmin should not exist/);
      await t.http.post('/api/login').send({ username: 'admin', password: 'x', extra: 1 }).expect(400);
    });

    it('refuses a bad username, a weak password, malformed JSON and a bad cursor', async () => {
      expect((await createUser({ username: 'a/b', password: 'long-enough-1' })).status).toBe(400);
      const weak = await createUser({ username: 'ivan', password: 'short' });
      expect(weak.status).toBe(400);
      expect(weak.body.detail).toMatch(/at least 8 characters/);
      const bad = await t.http
        .post('/api/roles')
        .set(bearer(admin))
        .set('Content-Type', 'application/json')
        .send('{"name":');
      expect(bad.status).toBe(400);
      expect((await t.http.get('/api/users?cursor=garbage').set(bearer(admin))).status).toBe(400);
      expect((await t.http.get('/api/users?limit=500').set(bearer(admin))).status).toBe(400);
    });

    it('refuses a duplicate username with 409 and keeps built-in roles', async () => {
      expect((await createUser({ username: 'alice', password: 'another-one-1' })).status).toBe(409);
      const roles = await answer(gh(admin).roles.list({ query: { name: 'admin' } }));
      const res = await answer(gh(admin).roles.delete({ path: { id: roles.body.items[0].id } }));
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('IDENTITY.BUILT_IN_ROLE');
    });
  });

  describe('case 8: dry run and effective permissions', () => {
    it('answers allowed with the permission and role that granted it', async () => {
      const role = await createRole('sensor-reader', [
        { context: 'mqtt', resource: 'sensors/#', operation: 'read' },
      ]);
      const user = await createUser({
        username: 'judy',
        password: 'judy-secret-1',
        roles: [role.body.id],
        permissions: [{ context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' }],
      });
      const check = await expectAnswer(
        gh(admin).permissions.check({
          body: { username: 'judy', context: 'mqtt', resource: 'sensors/a/temp', operation: 'read' },
        }),
        200,
      );
      expect(check.body.allowed).toBe(true);
      expect(check.body.grantedBy).toEqual([
        {
          permission: expect.objectContaining({ resource: 'sensors/#', operation: 'read' }),
          via: role.body.id,
          roleName: 'sensor-reader',
        },
      ]);
      const own = await expectAnswer(
        gh(admin).permissions.check({
          body: { userId: user.body.id, context: 'mqtt', resource: 'devices/judy/x', operation: 'write' },
        }),
        200,
      );
      expect(own.body).toMatchObject({ allowed: true, grantedBy: [{ via: 'user' }] });
      const denied = await expectAnswer(
        gh(admin).permissions.check({
          body: { userId: user.body.id, context: 'mqtt', resource: 'devices/other/x', operation: 'write' },
        }),
        200,
      );
      expect(denied.body).toEqual({ allowed: false, grantedBy: [], deniedBy: [] });

      const eff = await expectAnswer(gh(admin).users.effective({ path: { id: user.body.id } }), 200);
      expect(eff.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            via: 'user',
            permission: expect.objectContaining({ resource: 'devices/${username}/#' }),
          }),
          expect.objectContaining({
            via: role.body.id,
            roleName: 'sensor-reader',
            permission: expect.objectContaining({ resource: 'sensors/#' }),
          }),
        ]),
      );
    });

    it('lists each distinct permission with its holders', async () => {
      const res = await expectAnswer(gh(admin).permissions.view({ query: { limit: 200 } }), 200);
      const sensors = res.body.items.find((i) => i.resource === 'sensors/#');
      expect(sensors?.roles).toEqual([expect.objectContaining({ name: 'sensor-reader' })]);
    });
  });

  describe('paging', () => {
    it('walks all users with a cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: Answer<UserPageDto> = await expectAnswer(
          gh(admin).users.list({ query: { limit: 2, ...(cursor ? { cursor } : {}) } }),
          200,
        );
        seen.push(...res.body.items.map((u) => u.username));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...seen].sort());
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toContain('admin');
    });
  });

  describe('public routes and health', () => {
    it('serves health, the password policy and the OpenAPI document without a token', async () => {
      await t.http.get('/health/live').expect(200);
      await t.http.get('/health/ready').expect(200, { status: 'ok', database: 'ok', transport: 'ok' });
      const policy = await t.http.get('/api/auth/password-policy').expect(200);
      expect(policy.body.min).toBe(8);
      const doc = await t.http.get('/api/openapi.json').expect(200);
      expect(doc.body.paths['/api/users']).toBeDefined();
      await t.http.get('/api/nothing-here').set(bearer(admin)).expect(404);
    });
  });
});
