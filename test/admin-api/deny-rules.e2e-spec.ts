/**
 * Issue 11 (part 1): deny rules and QoS/retain limits in the admin API: validation (400 naming the
 * rule), storage and views, the HTTP guard (a deny refuses, SPEC 1.4.6), the dry run naming the deny
 * that decided, the effective-permissions view with sources, the permissions view, and the
 * no-escalation rule (SPEC 2.2, ADR 0019): removing someone's deny hands out what it blocked.
 */
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import type { PermissionBody } from '../support/gateway/admin-rest-client';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const PASSWORD = 'Deny-rules-passw0rd';

type Permission = PermissionBody;

const SECRET_DENY: Permission = {
  context: 'mqtt',
  resource: 'plant/secret/#',
  operation: 'read',
  effect: 'deny',
};

/** An editor of users: the routes, plus the mqtt access it may hand out. */
const editorOf = (mqtt: Permission[]): Permission[] => [
  { context: 'http', resource: '/api/users', operation: 'readWrite' },
  { context: 'http', resource: '/api/users/#', operation: 'readWrite' },
  { context: 'http', resource: '/api/roles', operation: 'readWrite' },
  { context: 'http', resource: '/api/roles/#', operation: 'readWrite' },
  ...mqtt,
];

describe('admin API: deny rules and QoS/retain limits (SPEC 1.1, 1.4.6-7, 2.2)', () => {
  let t: TestAdminApi;
  let admin: string;
  let n = 0;

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
  });
  afterAll(async () => {
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  async function user(permissions: Permission[], roles: string[] = []) {
    const username = `deny-user-${++n}`;
    const res = await t.http
      .post('/api/users')
      .set(bearer(admin))
      .send({ username, password: PASSWORD, permissions, roles });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, username, token: () => t.login(username, PASSWORD) };
  }
  async function patchUser(token: string, id: string, body: object) {
    const current = await t.http.get(`/api/users/${id}`).set(bearer(admin)).expect(200);
    return t.http
      .patch(`/api/users/${id}`)
      .set(bearer(token))
      .send({ ...body, version: current.body.version });
  }

  describe('validation (SPEC 1.1: 400 naming the rule)', () => {
    it.each([
      [{ context: 'mqtt', resource: 'a/#', operation: 'read', maxQos: 1 }, 'maxQos'],
      [{ context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'deny', retain: false }, 'retain'],
      [{ context: 'http', resource: '/api/x', operation: 'write', maxQos: 0 }, 'maxQos'],
      [{ context: 'mqtt', resource: 'a/#', operation: 'write', maxQos: 3 }, 'maxQos'],
      [{ context: 'mqtt', resource: 'a/#', operation: 'write', retain: 'no' }, 'retain'],
      [{ context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'block' }, 'effect'],
    ])('refuses %j', async (permission, field) => {
      const res = await t.http
        .post('/api/users')
        .set(bearer(admin))
        .send({ username: `invalid-${++n}`, password: PASSWORD, permissions: [permission] });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toContain(field);
    });

    it('stores effect and limits, answers effect always and limits when set; a deny and an allow of the same resource are two permissions', async () => {
      const u = await user([
        { context: 'mqtt', resource: 'a/#', operation: 'write', maxQos: 1, retain: false },
        { context: 'mqtt', resource: 'a/#', operation: 'write' },
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'deny' },
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'allow' }, // = the second
      ]);
      const res = await t.http.get(`/api/users/${u.id}`).set(bearer(admin)).expect(200);
      expect(res.body.permissions.map(({ id: _id, ...p }: { id: string }) => p)).toEqual([
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'allow', maxQos: 1, retain: false },
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'allow' },
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'deny' },
      ]);
      const view = await t.http.get('/api/permissions?limit=200').set(bearer(admin)).expect(200);
      const rows = (view.body.items as (Permission & { users: { name: string }[] })[]).filter((p) =>
        p.users.some((h) => h.name === u.username),
      );
      expect(
        rows.map(({ users: _u, roles: _r, ...p }: Permission & { users: unknown; roles?: unknown }) => p),
      ).toEqual([
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'allow', maxQos: 1, retain: false },
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'allow' },
        { context: 'mqtt', resource: 'a/#', operation: 'write', effect: 'deny' },
      ]);
    });

    it('pages the permissions view across allow and deny of one resource without losing or repeating one', async () => {
      const all: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await t.http
          .get(`/api/permissions?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
          .set(bearer(admin))
          .expect(200);
        for (const p of res.body.items as Permission[]) {
          all.push(JSON.stringify([p.context, p.resource, p.operation, p.effect, p.maxQos, p.retain]));
        }
        cursor = res.body.nextCursor as string | null;
      } while (cursor);
      const whole = await t.http.get('/api/permissions?limit=200').set(bearer(admin)).expect(200);
      expect(all).toEqual(
        (whole.body.items as Permission[]).map((p) =>
          JSON.stringify([p.context, p.resource, p.operation, p.effect, p.maxQos, p.retain]),
        ),
      );
      expect(new Set(all).size).toBe(all.length);
    });
  });

  it('HTTP guard: a deny matching the path refuses (403) what an allow grants (SPEC 1.4.6)', async () => {
    const u = await user([
      { context: 'http', resource: '/api/users/#', operation: 'read' },
      { context: 'http', resource: '/api/users', operation: 'read' },
      { context: 'http', resource: '/api/users/+/tokens', operation: 'read', effect: 'deny' },
    ]);
    const token = await u.token();
    await t.http.get('/api/users').set(bearer(token)).expect(200);
    await t.http.get(`/api/users/${u.id}`).set(bearer(token)).expect(200);
    const refused = await t.http.get(`/api/users/${u.id}/tokens`).set(bearer(token)).expect(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
  });

  it('dry run names the deny that decided, with its source; effective permissions list denies with their sources', async () => {
    const role = await t.http
      .post('/api/roles')
      .set(bearer(admin))
      .send({ name: 'no-secrets', permissions: [SECRET_DENY] })
      .expect(201);
    const u = await user(
      [
        { context: 'mqtt', resource: 'plant/#', operation: 'readWrite', maxQos: 1 },
        { context: 'mqtt', resource: 'plant/locked/#', operation: 'write', effect: 'deny' },
      ],
      [role.body.id],
    );
    const check = (body: object) =>
      t.http
        .post('/api/authorization/check')
        .set(bearer(admin))
        .send({ userId: u.id, context: 'mqtt', ...body })
        .expect(200);

    const secret = await check({ resource: 'plant/secret/b', operation: 'read' });
    expect(secret.body).toEqual({
      allowed: false,
      grantedBy: [
        expect.objectContaining({
          via: 'user',
          permission: expect.objectContaining({ resource: 'plant/#' }),
        }),
      ],
      deniedBy: [
        {
          permission: expect.objectContaining({ ...SECRET_DENY, id: expect.any(String) }),
          via: role.body.id,
          roleName: 'no-secrets',
        },
      ],
    });
    // a subscription that a deny only overlaps is allowed (its deliveries are filtered); one it covers is not
    expect((await check({ resource: 'plant/#', operation: 'read' })).body).toMatchObject({
      allowed: true,
      deniedBy: [],
    });
    expect((await check({ resource: 'plant/secret/+', operation: 'read' })).body.allowed).toBe(false);
    const locked = await check({ resource: 'plant/locked/x', operation: 'write' });
    expect(locked.body).toMatchObject({
      allowed: false,
      deniedBy: [{ via: 'user', permission: { resource: 'plant/locked/#', effect: 'deny' } }],
    });
    // QoS limits (SPEC 1.4.7)
    expect((await check({ resource: 'plant/a', operation: 'write', qos: 1 })).body.allowed).toBe(true);
    expect((await check({ resource: 'plant/a', operation: 'write', qos: 2 })).body).toMatchObject({
      allowed: false,
      grantedBy: [],
      deniedBy: [],
    });

    const eff = await t.http.get(`/api/users/${u.id}/effective-permissions`).set(bearer(admin)).expect(200);
    expect(eff.body.items).toEqual(
      expect.arrayContaining([
        {
          via: 'user',
          permission: expect.objectContaining({ resource: 'plant/#', effect: 'allow', maxQos: 1 }),
        },
        { via: 'user', permission: expect.objectContaining({ resource: 'plant/locked/#', effect: 'deny' }) },
        { via: role.body.id, roleName: 'no-secrets', permission: expect.objectContaining(SECRET_DENY) },
      ]),
    );
  });

  describe('no escalation with denies (SPEC 2.2, ADR 0019)', () => {
    it('an editor cannot remove another user’s deny unless it holds what the deny blocked', async () => {
      const target = await user([{ context: 'mqtt', resource: 'plant/#', operation: 'read' }, SECRET_DENY]);
      // holds everything the target can do (PATCH acts on the target's account, ADR 0004), but not the secrets
      const blocked = await user(
        editorOf([{ context: 'mqtt', resource: 'plant/#', operation: 'read' }, SECRET_DENY]),
      );
      // holds the secrets too: no deny
      const broad = await user(editorOf([{ context: 'mqtt', resource: 'plant/#', operation: 'read' }]));
      const withoutDeny = [{ context: 'mqtt', resource: 'plant/#', operation: 'read' }];

      const refused = await patchUser(await blocked.token(), target.id, { permissions: withoutDeny });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ code: 'AUTH.ESCALATION' });
      expect(refused.body.detail).toContain('plant/secret/#');
      // adding a deny hands out nothing
      const added = await patchUser(await blocked.token(), target.id, {
        permissions: [...withoutDeny, SECRET_DENY, { ...SECRET_DENY, resource: 'plant/other/#' }],
      });
      expect(added.status).toBe(200);
      // narrowing the deny releases plant/secret/b/…, which the blocked editor cannot read either
      const narrowed = await patchUser(await blocked.token(), target.id, {
        permissions: [...withoutDeny, { ...SECRET_DENY, resource: 'plant/secret/a/#' }],
      });
      expect(narrowed.status).toBe(403);

      const allowed = await patchUser(await broad.token(), target.id, { permissions: withoutDeny });
      expect(allowed.status).toBe(200);
      expect(allowed.body.permissions).toHaveLength(1);
    });

    it('unassigning a role that holds a deny, or deleting that role, counts as removing the deny', async () => {
      const role = await t.http
        .post('/api/roles')
        .set(bearer(admin))
        .send({ name: `deny-role-${++n}`, permissions: [SECRET_DENY] })
        .expect(201);
      const target = await user(
        [{ context: 'mqtt', resource: 'plant/#', operation: 'read' }],
        [role.body.id],
      );
      const narrow = await user(
        editorOf([{ context: 'mqtt', resource: 'plant/public/#', operation: 'read' }]),
      );
      const token = await narrow.token();

      const unassign = await patchUser(token, target.id, { roles: [] });
      expect(unassign.status).toBe(403);
      expect(unassign.body.code).toBe('AUTH.ESCALATION');
      const del = await t.http.delete(`/api/roles/${role.body.id}`).set(bearer(token));
      expect(del.status).toBe(403);
      expect(del.body.code).toBe('AUTH.ESCALATION');
      // the admin holds everything: both are fine
      await patchUser(admin, target.id, { roles: [] }).then((r) => expect(r.status).toBe(200));
      await t.http.delete(`/api/roles/${role.body.id}`).set(bearer(admin)).expect(204);
    });

    it('a grantor’s own deny limits what it hands out, unless the grantee gets the same deny', async () => {
      const grantor = await user(
        editorOf([{ context: 'mqtt', resource: 'plant/#', operation: 'read' }, SECRET_DENY]),
      );
      const token = await grantor.token();
      const create = (permissions: Permission[]) =>
        t.http
          .post('/api/users')
          .set(bearer(token))
          .send({ username: `granted-${++n}`, password: PASSWORD, permissions });
      expect((await create([{ context: 'mqtt', resource: 'plant/#', operation: 'read' }])).status).toBe(403);
      expect(
        (await create([{ context: 'mqtt', resource: 'plant/#', operation: 'read' }, SECRET_DENY])).status,
      ).toBe(201);
    });

    it('QoS and retain limits: handing out maxQos 2 while holding maxQos 0 is escalation', async () => {
      const grantor = await user(
        editorOf([{ context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 0 }]),
      );
      const token = await grantor.token();
      const create = (permission: Permission) =>
        t.http
          .post('/api/users')
          .set(bearer(token))
          .send({ username: `limited-${++n}`, password: PASSWORD, permissions: [permission] });
      expect(
        (await create({ context: 'mqtt', resource: 'plant/a', operation: 'write', maxQos: 2 })).status,
      ).toBe(403);
      expect((await create({ context: 'mqtt', resource: 'plant/a', operation: 'write' })).status).toBe(403);
      expect(
        (await create({ context: 'mqtt', resource: 'plant/a', operation: 'write', maxQos: 0 })).status,
      ).toBe(201);
    });
  });
});
