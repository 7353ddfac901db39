/**
 * Role history with rollback (issue 11, SPEC 2.3, ADR 0021): every saved role is a version with a diff
 * to the one before; a rollback restores an old version's content as a new version, under the
 * optimistic lock, the no-escalation rule and the audit trail, and applies live on the gateway like a
 * PATCH. Both apps run for real (admin-api on the test database, one gateway, real mqtt clients).
 * The admin API is called through the generated SDK (@gatehouse/sdk, issue 13).
 */
import type { MqttClient } from 'mqtt';
import type { Client as AedesClient } from 'aedes';
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
import type { GatehouseClient, RollbackRoleDto } from '@gatehouse/sdk';
import { answer, sdkClient } from '../support/sdk';

jest.setTimeout(60_000);

const PASSWORD = 'Device-password-1';

type Permission = {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect?: 'allow' | 'deny';
  maxQos?: 0 | 1 | 2;
  retain?: boolean;
};

interface Version {
  roleId: string;
  version: number;
  kind: string;
  rolledBackTo: number | null;
  name: string;
  description: string | null;
  permissions: Permission[];
  changes: Record<string, unknown> | null;
  actor: { id: string; username: string } | null;
}

const STATUS: Permission = { context: 'mqtt', resource: 'line/+/status', operation: 'read' };
const ALARM: Permission = { context: 'mqtt', resource: 'line/+/alarm', operation: 'read' };
const allow = (p: Permission): Permission => ({ effect: 'allow', ...p });

describe('role history and rollback (SPEC 2.3)', () => {
  let stack: GatewayStack;
  let e: Endpoint;
  let admin: MqttClient;
  let adminToken: string;
  const open: MqttClient[] = [];
  /** The SDK as the holder of `token` (none: anonymous). */
  const gh = (token?: string): GatehouseClient => sdkClient(stack.admin.httpUrl, token);

  const login = async (username: string, password: string): Promise<string> => {
    const res = await answer(gh().auth.login({ body: { username, password } }));
    expect(res.status).toBe(200);
    return res.body.token;
  };
  const createRole = async (name: string, permissions: Permission[], description?: string) => {
    const res = await answer(
      gh(adminToken).roles.create({
        body: { name, permissions, ...(description !== undefined ? { description } : {}) },
      }),
    );
    expect(res.status).toBe(201);
    return res.body;
  };
  const patchRole = async (id: string, changes: Record<string, unknown>, token = adminToken) => {
    const current = await answer(gh(adminToken).roles.get({ path: { id } }));
    expect(current.status).toBe(200);
    return answer(
      gh(token).roles.update({
        path: { id },
        body: { ...changes, version: current.body.version },
      }),
    );
  };
  const createUser = async (username: string, body: { roles?: string[]; permissions?: Permission[] }) => {
    const res = await answer(
      gh(adminToken).users.create({
        body: { username, password: PASSWORD, roles: [], permissions: [], ...body },
      }),
    );
    expect(res.status).toBe(201);
    return res.body;
  };
  const versions = async (
    id: string,
    query: { limit?: number; cursor?: string } = {},
  ): Promise<{ items: Version[]; nextCursor: string | null }> => {
    const res = await answer(gh(adminToken).roleHistory.versions({ path: { id }, query }));
    expect(res.status).toBe(200);
    return res.body;
  };
  /** Any body, as sent (the crafted ones too: the SDK serialises what it is given). */
  const rollback = (
    id: string,
    body: Record<string, unknown>,
    token = adminToken,
    headers: { 'If-Match'?: string } = {},
  ) => answer(gh(token).roleHistory.rollback({ path: { id }, body: body as RollbackRoleDto, headers }));
  const getVersion = (id: string, version: number | string, token = adminToken) =>
    answer(gh(token).roleHistory.version({ path: { id, version: version as number } }));
  const listVersions = (id: string, token?: string, cursor?: string) =>
    answer(gh(token).roleHistory.versions({ path: { id }, query: cursor !== undefined ? { cursor } : {} }));
  const auditEvents = async (query: { action: string; targetId: string; result?: 'success' | 'denied' }) => {
    const res = await answer(gh(adminToken).audit.list({ query }));
    expect(res.status).toBe(200);
    return res.body.items;
  };
  const roleVersion = async (id: string): Promise<number> => {
    const res = await answer(gh(adminToken).roles.get({ path: { id } }));
    expect(res.status).toBe(200);
    return res.body.version;
  };
  const unsubscribed = (clientId: string, filter: string): Promise<number> =>
    brokerEvent<[string[], AedesClient]>(
      stack.broker,
      'unsubscribe',
      (subs, c) => c.id === clientId && subs.includes(filter),
    ).then(() => Date.now());

  beforeAll(async () => {
    stack = await startGatewayStack();
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    admin = await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    adminToken = await login(ADMIN_USERNAME, ADMIN_PASSWORD);
  }, 120_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await admin?.endAsync(true);
    await stack?.close();
  }, 30_000);

  it('two edits make versions 1..3 with their diffs; rolling back to 1 restores the content live on the gateway, and rolling back to 2 revokes it again at once', async () => {
    const role = await createRole('line-reader', [STATUS, ALARM], 'first');
    const user = await createUser('line-watcher', {
      roles: [role.id],
      permissions: [{ context: 'mqtt', resource: 'self/${username}/#', operation: 'readWrite' }],
    });
    const c = await connectClient(e, { username: 'line-watcher', password: PASSWORD, clientId: 'watcher-1' });
    open.push(c);
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['line/+/status', 'line/+/alarm', 'self/line-watcher/#'])).toEqual([
      0, 0, 0,
    ]);

    // edit 1 (version 2): the status filter loses its coverage, and the gateway removes it at once
    const removal = unsubscribed('watcher-1', 'line/+/status');
    expect((await patchRole(role.id, { permissions: [ALARM] })).status).toBe(200);
    await removal;
    // edit 2 (version 3): name and description, permissions untouched
    const edited = await patchRole(role.id, { name: 'line-reader-2', description: 'second' });
    expect(edited.status).toBe(200);

    const history = await versions(role.id);
    expect(history.items.map((v) => [v.version, v.kind])).toEqual([
      [3, 'update'],
      [2, 'update'],
      [1, 'create'],
    ]);
    const [v3, v2, v1] = history.items;
    expect(v1).toMatchObject({
      roleId: role.id,
      name: 'line-reader',
      description: 'first',
      permissions: [allow(STATUS), allow(ALARM)],
      actor: { username: ADMIN_USERNAME },
      rolledBackTo: null,
    });
    expect(v1.changes).toEqual({
      name: { before: null, after: 'line-reader' },
      description: { before: null, after: 'first' },
      permissions: { added: [allow(STATUS), allow(ALARM)], removed: [] },
    });
    expect(v2.changes).toEqual({ permissions: { added: [], removed: [allow(STATUS)] } });
    expect(v2).toMatchObject({ name: 'line-reader', description: 'first', permissions: [allow(ALARM)] });
    expect(v3.changes).toEqual({
      name: { before: 'line-reader', after: 'line-reader-2' },
      description: { before: 'first', after: 'second' },
    });
    expect(v3).toMatchObject({ name: 'line-reader-2', description: 'second', permissions: [allow(ALARM)] });
    // one version, by number
    const one = await getVersion(role.id, 2);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(v2);

    // the lost filter is refused now, and its topics are not delivered
    expect(await subscribeCodes(c, ['line/+/status'])).toEqual([0x80]);
    await admin.publishAsync('line/1/status', 'during-edit', { qos: 1 });
    expect(
      (await receivedBeforeMarker(c, inbox, 'self/line-watcher/m1')).filter((t) => t === 'line/1/status'),
    ).toEqual([]);

    // rollback to 1: a new version 4 with version 1's content, applied on the gateway before we go on
    const applied = stack.changeApplied(user.id);
    const rolled = await rollback(role.id, { version: 1, expectedVersion: await roleVersion(role.id) });
    expect(rolled.status).toBe(200);
    expect(rolled.headers.etag).toBe(`"${(rolled.body as { version: number }).version}"`);
    expect(rolled.body).toMatchObject({ id: role.id, name: 'line-reader', description: 'first' });
    expect(
      (rolled.body as { permissions: Permission[] }).permissions.map(({ resource }) => resource),
    ).toEqual(['line/+/status', 'line/+/alarm']);
    await applied;
    expect(await subscribeCodes(c, ['line/+/status'])).toEqual([0]);
    await admin.publishAsync('line/2/status', 'after-rollback', { qos: 1 });
    await inbox.waitForTopic('line/2/status', 'after-rollback');

    const after = await versions(role.id);
    expect(after.items).toHaveLength(4);
    expect(after.items[0]).toMatchObject({
      version: 4,
      kind: 'rollback',
      rolledBackTo: 1,
      name: 'line-reader',
      description: 'first',
      permissions: [allow(STATUS), allow(ALARM)],
      actor: { username: ADMIN_USERNAME },
    });
    expect(after.items[0].changes).toEqual({
      name: { before: 'line-reader-2', after: 'line-reader' },
      description: { before: 'second', after: 'first' },
      permissions: { added: [allow(STATUS)], removed: [] },
    });
    // history is never rewritten: versions 1..3 are as they were
    expect(after.items.slice(1)).toEqual(history.items);

    // the rollback is audited, with the role's before and after
    const events = (await auditEvents({ action: 'role.rollback', targetId: role.id })) as unknown as Record<
      string,
      unknown
    >[];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: 'role.rollback',
      result: 'success',
      actor: { username: ADMIN_USERNAME },
      target: { type: 'role', id: role.id, name: 'line-reader' },
    });
    const changes = events[0].changes as Record<string, { before: unknown; after: unknown }>;
    expect(changes.name).toEqual({ before: 'line-reader-2', after: 'line-reader' });
    expect(changes.permissions.after).toEqual(expect.arrayContaining([expect.objectContaining(STATUS)]));
    expect(changes.permissions.before).not.toEqual(expect.arrayContaining([expect.objectContaining(STATUS)]));

    // rollback to 2 (alarm only): the live subscription loses its coverage and is removed at once
    const removedAgain = unsubscribed('watcher-1', 'line/+/status');
    const back = await rollback(role.id, { version: 2 });
    expect(back.status).toBe(200);
    const answeredAt = Date.now();
    expect(Math.max(0, (await removedAgain) - answeredAt)).toBeLessThan(1000);
    await admin.publishAsync('line/3/status', 'after-second-rollback', { qos: 1 });
    await admin.publishAsync('line/3/alarm', 'still', { qos: 1 });
    const seen = await receivedBeforeMarker(c, inbox, 'self/line-watcher/m2');
    expect(seen.filter((t) => t.startsWith('line/3/'))).toEqual(['line/3/alarm']);
    expect(c.connected).toBe(true);
    expect((await versions(role.id)).items[0]).toMatchObject({
      version: 5,
      kind: 'rollback',
      rolledBackTo: 2,
    });
  });

  it('pages the versions newest first with an opaque cursor', async () => {
    const role = await createRole('paged', []);
    for (let i = 1; i <= 4; i++)
      expect((await patchRole(role.id, { description: `d${i}` })).status).toBe(200);
    const first = await versions(role.id, { limit: 2 });
    expect(first.items.map((v) => v.version)).toEqual([5, 4]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await versions(role.id, { limit: 2, cursor: first.nextCursor! });
    expect(second.items.map((v) => v.version)).toEqual([3, 2]);
    const last = await versions(role.id, { limit: 2, cursor: second.nextCursor! });
    expect(last.items.map((v) => v.version)).toEqual([1]);
    expect(last.nextCursor).toBeNull();
    // a PATCH that changes nothing makes no version
    expect((await patchRole(role.id, { description: 'd4' })).status).toBe(200);
    expect((await versions(role.id)).items).toHaveLength(5);
    const bad = await listVersions(role.id, adminToken, 'bm9wZQ');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'IDENTITY.INVALID_CURSOR' });
  });

  it('refuses a stale expectedVersion (409) or If-Match (412), a rollback that changes nothing (409), an unknown version or role (404), a bad version (400); none makes a version', async () => {
    const role = await createRole('guarded', [ALARM]);
    expect((await patchRole(role.id, { permissions: [STATUS] })).status).toBe(200);
    const current = await roleVersion(role.id);

    const stale = await rollback(role.id, { version: 1, expectedVersion: current - 1 });
    expect(stale.status).toBe(409);
    expect(stale.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(stale.body).toMatchObject({ status: 409, code: 'IDENTITY.VERSION_CONFLICT' });
    const staleIfMatch = await rollback(role.id, { version: 1 }, adminToken, {
      'If-Match': `"${current - 1}"`,
    });
    expect(staleIfMatch.status).toBe(412);
    expect(staleIfMatch.body).toMatchObject({ code: 'IDENTITY.PRECONDITION_FAILED' });

    const noChange = await rollback(role.id, { version: 2, expectedVersion: current });
    expect(noChange.status).toBe(409);
    expect(noChange.body).toMatchObject({ code: 'IDENTITY.ROLLBACK_NO_CHANGE' });

    const unknownVersion = await rollback(role.id, { version: 99 });
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body).toMatchObject({ code: 'IDENTITY.ROLE_VERSION_NOT_FOUND' });
    const unknownGet = await getVersion(role.id, 99);
    expect(unknownGet.status).toBe(404);
    expect(unknownGet.body).toMatchObject({ code: 'IDENTITY.ROLE_VERSION_NOT_FOUND' });
    const unknownRole = '00000000-0000-4000-8000-0000000000ff';
    expect((await rollback(unknownRole, { version: 1 })).status).toBe(404);
    const noRole = await listVersions(unknownRole, adminToken);
    expect(noRole.status).toBe(404);
    expect(noRole.body).toMatchObject({ code: 'IDENTITY.ROLE_NOT_FOUND' });

    for (const body of [{}, { version: 0 }, { version: 1.5 }, { version: '1' }, { version: 2 ** 31 }]) {
      const res = await rollback(role.id, body);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION']);
    }
    expect((await rollback(role.id, { version: 1, expectedVersion: 'x' })).status).toBe(400);
    expect((await rollback(role.id, { version: 1, extra: true })).status).toBe(400);
    for (const v of ['0', 'x', '99999999999', '-1']) {
      const res = await getVersion(role.id, v);
      expect([res.status, res.body.code]).toEqual([400, 'VALIDATION']);
    }

    // a failed write leaves no version: the old name is taken by another role now
    const renamed = await createRole('renamed-once', []);
    expect((await patchRole(renamed.id, { name: 'renamed-twice' })).status).toBe(200);
    await createRole('renamed-once', []);
    const taken = await rollback(renamed.id, { version: 1 });
    expect([taken.status, taken.body.code]).toEqual([409, 'IDENTITY.ROLE_EXISTS']);
    expect((await versions(renamed.id)).items.map((v) => v.version)).toEqual([2, 1]);

    // nothing above moved the role or its history; the good rollback still works
    expect(await roleVersion(role.id)).toBe(current);
    expect((await versions(role.id)).items).toHaveLength(2);
    expect((await rollback(role.id, { version: 1, expectedVersion: current })).status).toBe(200);
    expect((await versions(role.id)).items).toHaveLength(3);
  });

  it('needs http read on the path to list versions and write to roll back (403 otherwise)', async () => {
    const role = await createRole('watched', [ALARM]);
    expect((await patchRole(role.id, { permissions: [STATUS] })).status).toBe(200);
    await createUser('role-reader', {
      permissions: [{ context: 'http', resource: '/api/roles/#', operation: 'read' }],
    });
    await createUser('nobody-much', {});
    const reader = await login('role-reader', PASSWORD);
    const nobody = await login('nobody-much', PASSWORD);

    expect((await listVersions(role.id, reader)).status).toBe(200);
    expect((await getVersion(role.id, 1, reader)).status).toBe(200);
    const denied = await rollback(role.id, { version: 1 }, reader);
    expect(denied.status).toBe(403);
    expect(denied.headers['content-type']).toMatch(/application\/problem\+json/);
    const list = await listVersions(role.id, nobody);
    expect(list.status).toBe(403);
    expect((await listVersions(role.id)).status).toBe(401);
    expect((await versions(role.id)).items).toHaveLength(2);

    const refused = await auditEvents({ action: 'role.rollback', targetId: role.id, result: 'denied' });
    expect(refused).toHaveLength(1);
  });

  it('a grantor who could not PATCH the role to that content cannot roll back to it (no escalation); one who could, can', async () => {
    const role = await createRole('plant-reader', [
      { context: 'mqtt', resource: 'secret/#', operation: 'read' },
    ]);
    expect(
      (
        await patchRole(role.id, {
          permissions: [{ context: 'mqtt', resource: 'public/#', operation: 'read' }],
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await patchRole(role.id, {
          permissions: [{ context: 'mqtt', resource: 'public/x/#', operation: 'read' }],
        })
      ).status,
    ).toBe(200);
    await createUser('role-editor', {
      permissions: [
        { context: 'http', resource: '/api/roles/#', operation: 'readWrite' },
        { context: 'mqtt', resource: 'public/#', operation: 'readWrite' },
      ],
    });
    const editor = await login('role-editor', PASSWORD);

    // version 1 hands out secret/#, which the editor does not hold: refused, as the PATCH would be
    const refused = await rollback(role.id, { version: 1 }, editor);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'AUTH.ESCALATION' });
    expect(refused.body.detail).toContain('secret/#');
    const patch = await patchRole(
      role.id,
      { permissions: [{ context: 'mqtt', resource: 'secret/#', operation: 'read' }] },
      editor,
    );
    expect(patch.status).toBe(403);
    expect((await versions(role.id)).items).toHaveLength(3);

    // version 2 hands out public/#, which the editor holds
    const allowed = await rollback(role.id, { version: 2 }, editor);
    expect(allowed.status).toBe(200);
    const latest = (await versions(role.id)).items[0];
    expect(latest).toMatchObject({
      version: 4,
      kind: 'rollback',
      rolledBackTo: 2,
      actor: { username: 'role-editor' },
    });
  });

  it('a rollback that takes a deny away needs what the deny blocks', async () => {
    const role = await createRole('fenced', [{ context: 'mqtt', resource: 'plant/#', operation: 'read' }]);
    expect(
      (
        await patchRole(role.id, {
          permissions: [
            { context: 'mqtt', resource: 'plant/#', operation: 'read' },
            { context: 'mqtt', resource: 'plant/secret/#', operation: 'read', effect: 'deny' },
          ],
        })
      ).status,
    ).toBe(200);
    await createUser('fence-editor', {
      permissions: [
        { context: 'http', resource: '/api/roles/#', operation: 'readWrite' },
        { context: 'mqtt', resource: 'plant/#', operation: 'read' },
        { context: 'mqtt', resource: 'plant/secret/#', operation: 'read', effect: 'deny' },
      ],
    });
    const editor = await login('fence-editor', PASSWORD);
    const refused = await rollback(role.id, { version: 1 }, editor);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'AUTH.ESCALATION' });
    // the administrator holds everything: the same rollback goes through
    expect((await rollback(role.id, { version: 1 })).status).toBe(200);
  });
});
