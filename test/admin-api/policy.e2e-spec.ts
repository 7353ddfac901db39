/**
 * Policy as code (issue 13, ADR 0028): `GET /api/policy` exports roles and users as one document,
 * `POST /api/policy/apply` applies one in one transaction (or plans it: dryRun), idempotent, with prune,
 * the no-escalation rule, the audit trail and the live effect on the gateway; `GATEHOUSE_BOOTSTRAP_FILE`
 * applies one at the first start only. Real admin-api on the test database, one real gateway, real
 * mqtt clients.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { MqttClient } from 'mqtt';
import type { Client as AedesClient } from 'aedes';
import { DataSource } from 'typeorm';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { createAdminApi } from '../../apps/admin-api/src/bootstrap';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  brokerEvent,
  connectClient,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

jest.setTimeout(60_000);

const PASSWORD = 'Device-password-1';
const MAX_BYTES = 8 * 1024 * 1024;

interface Permission {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect?: 'allow' | 'deny';
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
}
interface Doc {
  apiVersion: string;
  kind: string;
  roles: { name: string; description?: string; permissions?: Permission[]; externalGroups?: string[] }[];
  users: { username: string; enabled?: boolean; roles?: string[]; permissions?: Permission[] }[];
}
interface Result {
  roles: { created: string[]; changed: Record<string, unknown>[]; deleted: string[] };
  users: { created: string[]; changed: Record<string, unknown>[]; deleted: string[] };
  revokes: { clientId: string; username: string; kind: string; filter?: string }[];
  applied: boolean;
}
interface AuditItem {
  action: string;
  result: string;
  target: { type: string; id: string | null; name: string | null };
  changes: Record<string, { before: unknown; after: unknown }> | null;
  count: number | null;
  actor: { username: string } | null;
}

const NOTHING = {
  roles: { created: [], changed: [], deleted: [] },
  users: { created: [], changed: [], deleted: [] },
  revokes: [],
};

const STATUS: Permission = { context: 'mqtt', resource: 'line/+/status', operation: 'read' };
const ALARM: Permission = { context: 'mqtt', resource: 'line/+/alarm', operation: 'read' };

describe('policy as code (issue 13)', () => {
  let stack: GatewayStack;
  let http: ReturnType<typeof request>;
  let e: Endpoint;
  let token: string;
  let publisher: MqttClient;
  const open: MqttClient[] = [];
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  const login = async (username: string, password: string): Promise<string> =>
    ((await http.post('/api/login').send({ username, password }).expect(200)).body as { token: string })
      .token;
  const exported = async (t = token): Promise<Doc> =>
    (await http.get('/api/policy').set(bearer(t)).expect(200)).body as Doc;
  const apply = (body: unknown, t = token) =>
    http
      .post('/api/policy/apply')
      .set(bearer(t))
      .send(body as object);
  const applied = async (body: unknown): Promise<Result> => {
    const res = await apply(body);
    expect(`${res.status} ${JSON.stringify(res.body)}`).toMatch(/^200 /);
    return res.body as Result;
  };
  const audit = async (action: string, limit = 20): Promise<AuditItem[]> =>
    (
      (await http.get(`/api/audit-events?action=${action}&limit=${limit}`).set(bearer(token)).expect(200))
        .body as { items: AuditItem[] }
    ).items;
  const role = (doc: Doc, name: string) => {
    const r = doc.roles.find((x) => x.name === name);
    if (!r) throw new Error(`no role ${name} in ${JSON.stringify(doc.roles.map((x) => x.name))}`);
    return r;
  };
  const db = () => stack.admin.app.get(DataSource);

  beforeAll(async () => {
    stack = await startGatewayStack({ adminEnv: { POLICY_MAX_BYTES: String(MAX_BYTES) } });
    http = request(stack.admin.httpUrl);
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    token = await login(ADMIN_USERNAME, ADMIN_PASSWORD);
    publisher = await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
  }, 120_000);
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });
  afterAll(async () => {
    await publisher?.endAsync(true);
    await stack?.close();
  }, 30_000);

  it('exports every role (built-in ones included) and user in a stable order, never a secret; YAML on Accept', async () => {
    const doc = await exported();
    expect(doc).toMatchObject({ apiVersion: 'gatehouse/v1', kind: 'Policy' });
    expect(role(doc, 'admin').permissions).toEqual([
      { context: 'mqtt', resource: '#', operation: 'readWrite' },
      { context: 'http', resource: '/#', operation: 'readWrite' },
    ]);
    expect(doc.users).toEqual([{ username: ADMIN_USERNAME, roles: ['admin'] }]);
    const text = JSON.stringify(doc);
    expect(text).not.toMatch(/password|hash|token|secret|totp|certificate/i);
    const yaml = await http
      .get('/api/policy')
      .set(bearer(token))
      .set('accept', 'application/yaml')
      .expect(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(parseYaml(yaml.text)).toEqual(doc);
  });

  it('export then dry run reports no change; a document applies, a second apply changes nothing', async () => {
    expect(await applied({ document: await exported(), dryRun: true })).toEqual({
      ...NOTHING,
      gateways: expect.any(Object),
      applied: false,
    });
    const doc = await exported();
    doc.roles.push({ name: 'line-reader', description: 'lines', permissions: [STATUS, ALARM] });
    doc.users.push({
      username: 'line-device-1',
      roles: ['line-reader'],
      permissions: [{ context: 'mqtt', resource: 'dev/1/#', operation: 'write', maxQos: 1 }],
    });
    // the dry run changes nothing, and says what the apply will do
    const planned = await applied({ document: doc, dryRun: true });
    expect(planned).toMatchObject({
      roles: { created: ['line-reader'] },
      users: { created: ['line-device-1'] },
      applied: false,
    });
    expect((await exported()).roles.map((r) => r.name)).not.toContain('line-reader');
    const first = await applied({ document: doc });
    expect(first).toEqual({ ...planned, applied: true });
    const after = await exported();
    expect(role(after, 'line-reader')).toEqual({
      name: 'line-reader',
      description: 'lines',
      permissions: [STATUS, ALARM],
    });
    expect(after.users.find((u) => u.username === 'line-device-1')).toEqual(doc.users[1]);
    // the new user has no password: it cannot log in
    await http.post('/api/login').send({ username: 'line-device-1', password: PASSWORD }).expect(401);
    const versionsBefore = await roleVersions('line-reader');
    expect(await applied({ document: doc })).toEqual({
      ...NOTHING,
      gateways: expect.any(Object),
      applied: true,
    });
    // the apply that changed nothing is on the trail as such; dry runs are not
    const [noop, firstApply] = await audit('policy.apply', 2);
    expect(noop).toMatchObject({ result: 'success', target: { type: 'policy' } });
    expect([noop.changes ?? null, noop.count ?? null]).toEqual([null, null]);
    expect(firstApply).toMatchObject({
      changes: {
        'roles.created': { before: null, after: ['line-reader'] },
        'users.created': { before: null, after: ['line-device-1'] },
      },
      count: 2,
    });
    expect(await applied({ document: await exported(), dryRun: true })).toMatchObject(NOTHING);
    expect(await audit('policy.apply', 3)).toHaveLength(2);
    expect(await roleVersions('line-reader')).toEqual(versionsBefore);
  });

  const roleId = async (name: string): Promise<string> =>
    (
      (await http.get(`/api/roles?name=${name}`).set(bearer(token)).expect(200)).body as {
        items: { id: string }[];
      }
    ).items[0].id;
  const roleVersions = async (name: string): Promise<number[]> =>
    (
      (
        await http
          .get(`/api/roles/${await roleId(name)}/versions`)
          .set(bearer(token))
          .expect(200)
      ).body as {
        items: { version: number }[];
      }
    ).items.map((v) => v.version);

  it('editing one permission in the file changes exactly that (diff, database, role history), audited', async () => {
    const doc = await exported();
    const versionsBefore = await roleVersions('line-reader');
    role(doc, 'line-reader').permissions = [
      STATUS,
      { context: 'mqtt', resource: 'line/+/alarm', operation: 'readWrite' },
    ];
    const res = await applied({ document: doc });
    expect(res).toEqual({
      roles: {
        created: [],
        changed: [
          {
            name: 'line-reader',
            permissionsAdded: [{ context: 'mqtt', resource: 'line/+/alarm', operation: 'readWrite' }],
            permissionsRemoved: [ALARM],
            externalGroupsAdded: [],
            externalGroupsRemoved: [],
          },
        ],
        deleted: [],
      },
      users: NOTHING.users,
      revokes: [],
      gateways: expect.any(Object),
      applied: true,
    });
    const after = await exported();
    expect(after).toEqual(doc);
    const versions = await roleVersions('line-reader');
    expect(versions).toEqual([versionsBefore[0] + 1, ...versionsBefore]);
    const [summary] = await audit('policy.apply', 1);
    expect(summary).toMatchObject({
      result: 'success',
      actor: { username: ADMIN_USERNAME },
      target: { type: 'policy', name: 'policy' },
      changes: { 'roles.changed': { before: null, after: ['line-reader'] } },
      count: 1,
    });
    const [update] = await audit('role.update', 1);
    expect(update).toMatchObject({ target: { type: 'role', name: 'line-reader' } });
    expect(update.changes).toEqual({
      permissions: {
        before: [
          { context: 'mqtt', resource: 'line/+/alarm', operation: 'read', effect: 'allow' },
          { context: 'mqtt', resource: 'line/+/status', operation: 'read', effect: 'allow' },
        ],
        after: [
          { context: 'mqtt', resource: 'line/+/status', operation: 'read', effect: 'allow' },
          { context: 'mqtt', resource: 'line/+/alarm', operation: 'readWrite', effect: 'allow' },
        ],
      },
    });
    // a user's direct permission, too
    const u = after.users.find((x) => x.username === 'line-device-1');
    if (!u) throw new Error('line-device-1 missing');
    u.permissions = [{ context: 'mqtt', resource: 'dev/1/#', operation: 'write', maxQos: 2 }];
    const userRes = await applied({ document: after });
    expect(userRes.users.changed).toEqual([
      {
        username: 'line-device-1',
        permissionsAdded: [{ context: 'mqtt', resource: 'dev/1/#', operation: 'write', maxQos: 2 }],
        permissionsRemoved: [{ context: 'mqtt', resource: 'dev/1/#', operation: 'write', maxQos: 1 }],
        rolesAdded: [],
        rolesRemoved: [],
      },
    ]);
    const [userEvent] = await audit('user.update', 1);
    expect(userEvent).toMatchObject({ target: { type: 'user', name: 'line-device-1' } });
    expect(Object.keys(userEvent.changes ?? {})).toEqual(['permissions']);
  });

  it('YAML bodies with ?dryRun and ?prune; JSON documents with the query too', async () => {
    const doc = await exported();
    doc.roles.push({
      name: 'yaml-role',
      permissions: [{ context: 'http', resource: '/api/me', operation: 'read' }],
    });
    const dry = await http
      .post('/api/policy/apply?dryRun=true')
      .set(bearer(token))
      .set('content-type', 'application/yaml')
      .send(toYaml(doc));
    expect(`${dry.status} ${JSON.stringify(dry.body)}`).toMatch(/^200 /);
    expect(dry.body).toMatchObject({ roles: { created: ['yaml-role'] }, applied: false });
    const real = await http
      .post('/api/policy/apply')
      .set(bearer(token))
      .set('content-type', 'application/yaml')
      .send(toYaml(doc));
    expect(real.body).toMatchObject({ roles: { created: ['yaml-role'] }, applied: true });
    // the document itself as JSON, flags in the query
    doc.roles = doc.roles.filter((r) => r.name !== 'yaml-role');
    const pruned = await http.post('/api/policy/apply?prune=true').set(bearer(token)).send(doc);
    expect(pruned.body).toMatchObject({ roles: { deleted: ['yaml-role'] }, applied: true });
    await http.post('/api/policy/apply?dryRun=maybe').set(bearer(token)).send(doc).expect(400);
    const both = await http
      .post('/api/policy/apply?dryRun=true')
      .set(bearer(token))
      .send({ document: doc, dryRun: true });
    expect(both.status).toBe(400);
  });

  it('--prune removes a role and a user the file does not name, keeps the built-in roles, and never deletes the caller', async () => {
    const doc = await exported();
    doc.roles.push({ name: 'temporary' });
    doc.users.push({ username: 'temp-user', roles: ['temporary'] });
    await applied({ document: doc });
    const without = await exported();
    without.roles = without.roles.filter((r) => !['temporary', 'admin', 'minimum-access'].includes(r.name));
    without.users = without.users.filter((u) => u.username !== 'temp-user');
    // without prune nothing is deleted
    expect(await applied({ document: without })).toMatchObject(NOTHING);
    const res = await applied({ document: without, prune: true });
    expect(res.roles).toEqual({ created: [], changed: [], deleted: ['temporary'] });
    expect(res.users).toEqual({ created: [], changed: [], deleted: ['temp-user'] });
    const now = await exported();
    expect(now.roles.map((r) => r.name)).toEqual(expect.arrayContaining(['admin', 'minimum-access']));
    expect(now.roles.map((r) => r.name)).not.toContain('temporary');
    const [deleted] = await audit('role.delete', 1);
    expect(deleted.target.name).toBe('temporary');
    // a document that does not name the caller
    const noCaller = { ...now, users: now.users.filter((u) => u.username !== ADMIN_USERNAME) };
    const refused = await apply({ document: noCaller, prune: true });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'IDENTITY.POLICY_REMOVES_CALLER' });
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    const disabling = {
      ...now,
      users: now.users.map((u) => (u.username === ADMIN_USERNAME ? { ...u, enabled: false } : u)),
    };
    expect((await apply({ document: disabling })).body).toMatchObject({
      code: 'IDENTITY.POLICY_REMOVES_CALLER',
    });
    // nor the last admin-capable user
    const unadmin = {
      ...now,
      users: now.users.map((u) => (u.username === ADMIN_USERNAME ? { ...u, roles: [] } : u)),
    };
    const last = await apply({ document: unadmin });
    expect(last.status).toBe(409);
    expect(last.body).toMatchObject({ code: 'IDENTITY.LAST_ADMIN' });
    // nor a built-in role's permissions
    const builtIn = structuredClone(now);
    role(builtIn, 'minimum-access').permissions = [{ context: 'http', resource: '/#', operation: 'read' }];
    expect((await apply({ document: builtIn })).body).toMatchObject({ code: 'IDENTITY.BUILT_IN_ROLE' });
    expect(await exported()).toEqual(now);
  });

  it('invalid documents are a 400 naming the JSON pointer; a body over POLICY_MAX_BYTES is a 413', async () => {
    const doc = await exported();
    const schema = await apply({
      document: {
        ...doc,
        roles: [{ name: 'x', permissions: [{ context: 'mqtt', resource: 'a', operation: 'publish' }] }],
      },
    });
    expect(schema.status).toBe(400);
    expect(schema.body).toMatchObject({ code: 'POLICY.INVALID_DOCUMENT' });
    expect((schema.body as { detail: string }).detail).toMatch(/^\/roles\/0\/permissions\/0\/operation: /);
    const unknownField = await apply({
      document: { ...doc, users: [{ username: 'abc', password: 'Secret-1234' }] },
    });
    expect((unknownField.body as { detail: string }).detail).toBe('/users/0: unknown field "password"');
    const wrongKind = await apply({ document: { ...doc, kind: 'Pods' } });
    expect((wrongKind.body as { detail: string }).detail).toMatch(/^\/kind: /);
    const pattern = await apply({
      document: {
        ...doc,
        roles: [
          ...doc.roles,
          { name: 'bad', permissions: [{ context: 'mqtt', resource: 'a/#/b', operation: 'read' }] },
        ],
      },
    });
    expect(pattern.status).toBe(400);
    expect((pattern.body as { detail: string }).detail).toMatch(/^\/roles\/\d+\/permissions\/0: .*#/);
    const limits = await apply({
      document: {
        ...doc,
        roles: [
          ...doc.roles,
          { name: 'bad', permissions: [{ context: 'mqtt', resource: 'a', operation: 'read', maxQos: 1 }] },
        ],
      },
    });
    expect((limits.body as { detail: string }).detail).toMatch(/maxQos and retain are only allowed/);
    const unknownRole = await apply({
      document: { ...doc, users: [...doc.users, { username: 'nobody-1', roles: ['no-such-role'] }] },
    });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body).toMatchObject({ code: 'IDENTITY.UNKNOWN_ROLE' });
    const twice = await apply({ document: { ...doc, users: [...doc.users, { username: 'Admin' }] } });
    expect(twice.body).toMatchObject({ code: 'IDENTITY.POLICY_INVALID' });
    const yaml = await http
      .post('/api/policy/apply')
      .set(bearer(token))
      .set('content-type', 'application/yaml')
      .send('roles: [unclosed');
    expect(yaml.status).toBe(400);
    expect(yaml.body).toMatchObject({ code: 'POLICY.INVALID_YAML' });
    // what the world sends: 30,000 nested brackets, 20,000 nested sequences, a billion laughs, a duplicate key
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...Array.from(
        { length: 8 },
        (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`,
      ),
    ].join('\n');
    for (const text of [
      'roles: ' + '['.repeat(30_000),
      '- '.repeat(20_000) + 'x',
      laughs,
      'kind: Policy\nkind: Policy\n',
    ]) {
      const res = await http
        .post('/api/policy/apply')
        .set(bearer(token))
        .set('content-type', 'application/yaml')
        .send(text);
      expect(`${res.status} ${(res.body as { code?: string }).code}`).toBe('400 POLICY.INVALID_YAML');
    }
    // 10 MB: more than this server's POLICY_MAX_BYTES (8 MiB; the default, 64 MiB, takes 50,000 users)
    const huge = {
      ...doc,
      users: Array.from({ length: 80_000 }, (_, i) => ({
        username: `bulk-user-${String(i).padStart(6, '0')}`,
        permissions: [{ context: 'mqtt', resource: `devices/bulk-user-${i}/#`, operation: 'readWrite' }],
      })),
    };
    const size = JSON.stringify({ document: huge }).length;
    expect(size).toBeGreaterThan(10_000_000);
    expect(size).toBeLessThan(12_000_000);
    // over the 1 MiB of every other body but within POLICY_MAX_BYTES: taken (planned here)
    const medium = { ...doc, users: [...doc.users, ...huge.users.slice(0, 20_000)] };
    expect(JSON.stringify(medium).length).toBeGreaterThan(2 * 1024 * 1024);
    const planned = await apply({ document: medium, dryRun: true });
    expect(planned.status).toBe(200);
    expect((planned.body as Result).users.created).toHaveLength(20_000);
    const big = await apply({ document: huge });
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ code: 'HTTP.PAYLOAD_TOO_LARGE' });
    // without a token the large parser is not used: the 1 MiB limit of every body answers first
    const anonymous = await http.post('/api/policy/apply').send({ document: huge });
    expect(anonymous.status).toBe(413);
    expect(await exported()).toEqual(doc);
  });

  it('an escalating document is a 403 naming an example, and changes nothing', async () => {
    const doc = await exported();
    doc.roles.push({
      name: 'policy-editor',
      permissions: [
        { context: 'http', resource: '/api/policy/#', operation: 'readWrite' },
        { context: 'mqtt', resource: 'plant/#', operation: 'readWrite' },
      ],
    });
    await applied({ document: doc });
    await http
      .post('/api/users')
      .set(bearer(token))
      .send({ username: 'editor', password: PASSWORD, roles: [await roleId('policy-editor')] })
      .expect(201);
    const editorToken = await login('editor', PASSWORD);
    const before = await exported(editorToken);
    const tries: [string, (d: Doc) => void, RegExp][] = [
      [
        'a role with #',
        (d) =>
          d.roles.push({
            name: 'root',
            permissions: [{ context: 'mqtt', resource: '#', operation: 'read' }],
          }),
        /role "root": you cannot hand out \{mqtt, #, read\}/,
      ],
      [
        'a user with the admin role',
        (d) => d.users.push({ username: 'sneaky', roles: ['admin'] }),
        /you cannot assign role "admin" to "sneaky"/,
      ],
      [
        'taking over the admin',
        (d) =>
          d.users.forEach((u) => u.username === ADMIN_USERNAME && (u.roles = ['admin', 'minimum-access'])),
        /user "admin" holds/,
      ],
      [
        'a direct permission beyond plant',
        (d) =>
          d.users.push({
            username: 'sneaky',
            permissions: [{ context: 'mqtt', resource: 'office/#', operation: 'write' }],
          }),
        /user "sneaky": you cannot hand out \{mqtt, office\/#, write\}/,
      ],
    ];
    for (const [what, edit, message] of tries) {
      const d = structuredClone(before);
      edit(d);
      const res = await apply({ document: d }, editorToken);
      expect(`${what}: ${res.status} ${(res.body as { code?: string }).code}`).toBe(
        `${what}: 403 AUTH.ESCALATION`,
      );
      expect((res.body as { detail: string }).detail).toMatch(message);
    }
    // within what the editor holds, it works
    const ok = structuredClone(before);
    ok.users.push({
      username: 'plant-device',
      permissions: [{ context: 'mqtt', resource: 'plant/a/#', operation: 'write' }],
    });
    const res = await apply({ document: ok }, editorToken);
    expect(res.status).toBe(200);
    expect(await exported()).toEqual(ok);
    const [denied] = await audit('policy.apply', 5).then((items) =>
      items.filter((i) => i.result === 'denied'),
    );
    expect(denied).toMatchObject({ actor: { username: 'editor' }, target: { type: 'policy' } });
  });

  it('a failure midway rolls everything back (all or nothing)', async () => {
    const before = await exported();
    // a real database error after the users and roles are written: a trigger on the permissions table
    await db().query(`CREATE FUNCTION fail_policy() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.resource = 'fail/now' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await db().query(
      `CREATE TRIGGER fail_policy BEFORE INSERT ON permissions FOR EACH ROW EXECUTE FUNCTION fail_policy()`,
    );
    try {
      const doc = structuredClone(before);
      doc.roles.push({ name: 'midway', permissions: [STATUS] });
      doc.users.push({
        username: 'midway-user',
        roles: ['midway'],
        permissions: [{ context: 'mqtt', resource: 'fail/now', operation: 'read' }],
      });
      role(doc, 'line-reader').description = 'changed midway';
      const res = await apply({ document: doc });
      expect(res.status).toBe(500);
      expect(await exported()).toEqual(before);
    } finally {
      await db().query(`DROP TRIGGER fail_policy ON permissions`);
      await db().query(`DROP FUNCTION fail_policy()`);
    }
  });

  it('two applies at once do not interleave: one creates, the other finds nothing to do', async () => {
    const doc = await exported();
    doc.roles.push({ name: 'concurrent', permissions: [ALARM] });
    doc.users.push({ username: 'concurrent-user', roles: ['concurrent'] });
    const [a, b] = await Promise.all([apply({ document: doc }), apply({ document: doc })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const created = [a.body as Result, b.body as Result].map(
      (r) => r.roles.created.length + r.users.created.length,
    );
    expect(created.sort()).toEqual([0, 2]);
  });

  it('with a gateway: the dry run names the live subscription a change revokes; applying it stops the deliveries', async () => {
    const doc = await exported();
    doc.roles.push({
      name: 'watchers',
      permissions: [
        STATUS,
        ALARM,
        { context: 'mqtt', resource: 'self/${username}/#', operation: 'readWrite' },
      ],
    });
    await applied({ document: doc });
    const user = (
      await http
        .post('/api/users')
        .set(bearer(token))
        .send({ username: 'watcher', password: PASSWORD, roles: [await roleId('watchers')] })
        .expect(201)
    ).body as { id: string };
    const c = await connectClient(e, { username: 'watcher', password: PASSWORD, clientId: 'watcher-live-1' });
    open.push(c);
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['line/+/status', 'line/+/alarm', 'self/watcher/#'])).toEqual([0, 0, 0]);
    const edited = await exported();
    role(edited, 'watchers').permissions = [
      ALARM,
      { context: 'mqtt', resource: 'self/${username}/#', operation: 'readWrite' },
    ];
    const dry = await applied({ document: edited, dryRun: true });
    expect(dry.revokes).toEqual([
      {
        clientId: 'watcher-live-1',
        userId: user.id,
        username: 'watcher',
        gatewayId: expect.any(String),
        kind: 'subscription',
        filter: 'line/+/status',
      },
    ]);
    // the dry run changed nothing: the subscription still delivers
    await publisher.publishAsync('line/1/status', 'before', { qos: 1 });
    await inbox.waitForTopic('line/1/status', 'before');
    const removal = brokerEvent<[string[], AedesClient]>(
      stack.broker,
      'unsubscribe',
      (subs, cl) => cl.id === 'watcher-live-1' && subs.includes('line/+/status'),
    );
    const res = await applied({ document: edited });
    expect(res.revokes).toEqual(dry.revokes);
    await removal;
    await publisher.publishAsync('line/2/status', 'after', { qos: 1 });
    await publisher.publishAsync('line/2/alarm', 'still', { qos: 1 });
    const got = await receivedBeforeMarker(publisher, inbox, 'self/watcher/marker');
    expect(got.filter((t) => t === 'line/2/status')).toEqual([]);
    expect(got).toContain('line/2/alarm');
    // pruning the user disconnects its session
    const without = await exported();
    without.users = without.users.filter((u) => u.username !== 'watcher');
    const planned = await applied({ document: without, prune: true, dryRun: true });
    expect(planned.revokes).toEqual([
      expect.objectContaining({ clientId: 'watcher-live-1', kind: 'session' }),
    ]);
  });
});

describe('GATEHOUSE_BOOTSTRAP_FILE (issue 13)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-policy-bootstrap-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const env = (file: string, dataDir: string) => ({
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    TRANSPORT_URL: 'tcp://127.0.0.1:0',
    DATA_DIR: dataDir,
    ADMIN_USERNAME,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
    GATEHOUSE_BOOTSTRAP_FILE: file,
  });

  it('is applied at the first start only (a restart does not apply it again), as the initial admin, audited', async () => {
    const file = join(dir, 'policy.yaml');
    await writeFile(
      file,
      toYaml({
        apiVersion: 'gatehouse/v1',
        kind: 'Policy',
        roles: [{ name: 'operators', permissions: [STATUS], externalGroups: ['ops'] }],
        users: [{ username: 'boot-device', roles: ['operators'] }],
      }),
    );
    const dataDir = join(dir, 'data');
    const first = await createAdminApi(env(file, dataDir), { logger: ['error'] });
    let t: string;
    try {
      const http = request(first.httpUrl);
      t = (
        (
          await http
            .post('/api/login')
            .send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD })
            .expect(200)
        ).body as { token: string }
      ).token;
      const doc = (
        await http
          .get('/api/policy')
          .set({ authorization: `Bearer ${t}` })
          .expect(200)
      ).body as Doc;
      expect(doc.roles.find((r) => r.name === 'operators')).toEqual({
        name: 'operators',
        permissions: [STATUS],
        externalGroups: ['ops'],
      });
      expect(doc.users.map((u) => u.username)).toEqual([ADMIN_USERNAME, 'boot-device']);
      const events = (
        (
          await http
            .get('/api/audit-events?action=policy.apply')
            .set({ authorization: `Bearer ${t}` })
            .expect(200)
        ).body as { items: AuditItem[] }
      ).items;
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ actor: { username: ADMIN_USERNAME }, result: 'success', count: 2 });
      // the operator deletes the role; a restart must not bring it back
      const id = (
        (
          await http
            .get('/api/roles?name=operators')
            .set({ authorization: `Bearer ${t}` })
            .expect(200)
        ).body as { items: { id: string }[] }
      ).items[0].id;
      await http
        .delete(`/api/roles/${id}`)
        .set({ authorization: `Bearer ${t}` })
        .expect(204);
    } finally {
      await first.close();
    }
    const second = await createAdminApi(env(file, dataDir), { logger: ['error'] });
    try {
      const http = request(second.httpUrl);
      t = (
        (
          await http
            .post('/api/login')
            .send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD })
            .expect(200)
        ).body as { token: string }
      ).token;
      const doc = (
        await http
          .get('/api/policy')
          .set({ authorization: `Bearer ${t}` })
          .expect(200)
      ).body as Doc;
      expect(doc.roles.map((r) => r.name)).not.toContain('operators');
      const events = (
        (
          await http
            .get('/api/audit-events?action=policy.apply')
            .set({ authorization: `Bearer ${t}` })
            .expect(200)
        ).body as { items: AuditItem[] }
      ).items;
      expect(events).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('a missing or invalid file stops the start with a message naming the variable', async () => {
    await expect(createAdminApi(env(join(dir, 'nope.yaml'), 'memory://'), { logger: false })).rejects.toThrow(
      /^GATEHOUSE_BOOTSTRAP_FILE: cannot read .*nope\.yaml: ENOENT/,
    );
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      'apiVersion: gatehouse/v1\nkind: Policy\nroles:\n  - name: x\n    permissions: [{context: mqtt, resource: "a/#/b", operation: read}]\n',
    );
    await expect(createAdminApi(env(bad, 'memory://'), { logger: false })).rejects.toThrow(
      /^GATEHOUSE_BOOTSTRAP_FILE: .*bad\.yaml is not a valid policy document: \/roles\/0\/permissions\/0: /,
    );
    // valid against the schema, but naming a role nobody has: refused at the apply, the start stops
    const unknown = join(dir, 'unknown.yaml');
    await writeFile(
      unknown,
      'apiVersion: gatehouse/v1\nkind: Policy\nusers:\n  - username: someone\n    roles: [ghost]\n',
    );
    await expect(createAdminApi(env(unknown, 'memory://'), { logger: false })).rejects.toThrow(
      /^GATEHOUSE_BOOTSTRAP_FILE: .*could not be applied: .*ghost/,
    );
  });
});
