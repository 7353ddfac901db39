/**
 * Issue 11 "Live sessions" and "Change preview" (SPEC 2.3, ADR 0022): admin-api asks EVERY gateway
 * (loopback TCP transport, two gateways) for its live sessions, disconnects one wherever it is, and
 * previews what a role or user change would revoke without changing anything.
 */
import type { MqttClient } from 'mqtt';
import type { BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { Inbox, clientId, closed, connectClient } from '../support/gateway/mqtt-helpers';
import { type ScaleOutStack, startScaleOut, tcpOf as tcp } from '../support/gateway/scale-out';

jest.setTimeout(60_000);

const PASSWORD = 'Sessions-password-1';

interface Session {
  clientId: string;
  userId: string;
  username: string;
  gatewayId: string;
  gatewayInstance: string;
  remoteAddress: string | null;
  listener: string;
  subscriptions: { filter: string; qos: number }[];
  connectedAt: string;
}
interface Coverage {
  answered: string[];
  unanswered: string[];
  partial: boolean;
}
interface Preview {
  users: {
    userId: string;
    username: string;
    gained: { resource: string; operation: string }[];
    lost: { resource: string; operation: string }[];
    revokes: { clientId: string; gatewayId: string; kind: string; filter?: string }[];
  }[];
  gateways: Coverage;
}

describe('live sessions and change preview, two gateways over loopback TCP (SPEC 2.3)', () => {
  let stack: ScaleOutStack;
  let gateways: BrokerGateway[];
  const open: MqttClient[] = [];

  const http = async (method: string, path: string, body?: unknown, token = stack.rest['token']) => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type') ?? '',
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
  };
  const connect = async (g: BrokerGateway, username: string, id = clientId('sess')): Promise<MqttClient> => {
    const c = await connectClient(tcp(g), { username, password: PASSWORD, clientId: id });
    open.push(c);
    return c;
  };
  const subscribe = async (c: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<void> => {
    const granted = await c.subscribeAsync(filter, { qos });
    expect(granted[0].qos).toBe(qos);
  };
  const list = async (
    query = '',
  ): Promise<{ items: Session[]; nextCursor: string | null; gateways: Coverage }> => {
    const res = await http('GET', `/api/sessions${query}`);
    expect(res.status).toBe(200);
    return res.body as unknown as { items: Session[]; nextCursor: string | null; gateways: Coverage };
  };

  beforeAll(async () => {
    stack = await startScaleOut('tcp://127.0.0.1:0', ['gw-a', 'gw-b']);
    ({ gateways } = stack);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('GET /api/sessions lists a client on each gateway with its subscriptions; both gateways answered', async () => {
    const reader = await stack.rest.createRole('sess-list-reader', [
      { context: 'mqtt', resource: 'plant/#', operation: 'read' },
    ]);
    const user = await stack.rest.createUser({
      username: 'sess-lister',
      password: PASSWORD,
      roles: [reader.id],
    });
    const a = await connect(gateways[0], 'sess-lister', 'lister-on-a');
    const b = await connect(gateways[1], 'sess-lister', 'lister-on-b');
    await subscribe(a, 'plant/line1/#', 1);
    await subscribe(b, 'plant/+/temp', 0);

    const page = await list(`?userId=${user.id}`);
    expect(page.gateways).toEqual({ answered: ['gw-a', 'gw-b'], unanswered: [], partial: false });
    expect(page.items.map((s) => [s.clientId, s.gatewayId])).toEqual([
      ['lister-on-a', 'gw-a'],
      ['lister-on-b', 'gw-b'],
    ]);
    const [onA, onB] = page.items;
    expect(onA).toMatchObject({
      userId: user.id,
      username: 'sess-lister',
      listener: 'mqtt',
      subscriptions: [{ filter: 'plant/line1/#', qos: 1 }],
    });
    expect(onA.remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(onA.connectedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(onB.subscriptions).toEqual([{ filter: 'plant/+/temp', qos: 0 }]);
    expect(onA.gatewayInstance).not.toBe(onB.gatewayInstance);

    // filters and paging
    expect((await list('?clientId=lister-on-b')).items.map((s) => s.gatewayId)).toEqual(['gw-b']);
    const first = await list(`?userId=${user.id}&limit=1`);
    expect(first.items.map((s) => s.clientId)).toEqual(['lister-on-a']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await list(`?userId=${user.id}&limit=1&cursor=${first.nextCursor}`);
    expect(second.items.map((s) => s.clientId)).toEqual(['lister-on-b']);
    expect(second.nextCursor).toBeNull();
  });

  it('DELETE /api/sessions/{clientId} disconnects it on its gateway (the client sees the close), audited as session.disconnect; 404 when nobody has it', async () => {
    await stack.rest.createUser({ username: 'sess-kicked', password: PASSWORD });
    const kicked = await connect(gateways[1], 'sess-kicked', 'kick-me');
    const stays = await connect(gateways[0], 'sess-kicked', 'keep-me');
    const gone = closed(kicked, 3000);

    const res = await http('DELETE', '/api/sessions/kick-me');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ clientId: 'kick-me', disconnectedOn: ['gw-b'] });
    await gone;
    expect(stays.connected).toBe(true);
    expect((await list('?clientId=kick-me')).items).toEqual([]);

    const audit = await http('GET', '/api/audit-events?action=session.disconnect');
    expect(audit.status).toBe(200);
    const items = audit.body.items as { target: { type: string; id: string }; result: string }[];
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          target: expect.objectContaining({ type: 'session', id: 'kick-me' }),
          result: 'success',
        }),
      ]),
    );

    const missing = await http('DELETE', '/api/sessions/kick-me');
    expect(missing.status).toBe(404);
    expect(missing.type).toContain('application/problem+json');
    expect(missing.body.code).toBe('SESSIONS.NOT_FOUND');
  });

  it('403 without an http permission on /api/sessions; 400 on bad input', async () => {
    await stack.rest.createUser({ username: 'sess-nobody', password: PASSWORD });
    const token = await stack.rest.loginAs('sess-nobody', PASSWORD);
    expect((await http('GET', '/api/sessions', undefined, token)).status).toBe(403);
    expect((await http('DELETE', '/api/sessions/x', undefined, token)).status).toBe(403);
    const bad = await http('GET', '/api/sessions?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    expect((await http('GET', '/api/sessions?cursor=not-ours')).status).toBe(400);
    expect((await http('DELETE', `/api/sessions/${'x'.repeat(300)}`)).status).toBe(400);
  });

  it('preview of emptying a role names the live subscribers on BOTH gateways (client id, filter) and changes nothing: the role is the same and the subscriber still receives', async () => {
    const reader = await stack.rest.createRole('sess-pv-reader', [
      { context: 'mqtt', resource: 'line/#', operation: 'read' },
    ]);
    const user = await stack.rest.createUser({
      username: 'sess-pv-sub',
      password: PASSWORD,
      roles: [reader.id],
      permissions: [{ context: 'mqtt', resource: 'own/#', operation: 'read' }],
    });
    const onA = await connect(gateways[0], 'sess-pv-sub', 'pv-sub-a');
    const onB = await connect(gateways[1], 'sess-pv-sub', 'pv-sub-b');
    await subscribe(onA, 'line/a/#');
    await subscribe(onA, 'own/x');
    await subscribe(onB, 'line/+/temp');
    const before = await http('GET', `/api/roles/${reader.id}`);

    const res = await http('POST', `/api/roles/${reader.id}/preview`, {
      permissions: [],
      version: reader.version,
    });
    expect(res.status).toBe(200);
    const preview = res.body as unknown as Preview;
    expect(preview.gateways).toEqual({ answered: ['gw-a', 'gw-b'], unanswered: [], partial: false });
    expect(preview.users).toHaveLength(1);
    const [u] = preview.users;
    expect(u).toMatchObject({ userId: user.id, username: 'sess-pv-sub', gained: [] });
    expect(u.lost).toEqual([
      expect.objectContaining({ context: 'mqtt', resource: 'line/#', operation: 'read' }),
    ]);
    expect(u.revokes).toEqual([
      { clientId: 'pv-sub-a', gatewayId: 'gw-a', kind: 'subscription', filter: 'line/a/#' },
      { clientId: 'pv-sub-b', gatewayId: 'gw-b', kind: 'subscription', filter: 'line/+/temp' },
    ]);

    // nothing changed: the role, its version, and the subscriber's deliveries
    const after = await http('GET', `/api/roles/${reader.id}`);
    expect(after.body).toEqual(before.body);
    const adminClient = await connectClient(tcp(gateways[0]), {
      username: 'admin',
      password: 'Admin-password-1',
    });
    open.push(adminClient);
    const inbox = new Inbox(onA);
    await adminClient.publishAsync('line/a/1', 'still-here', { qos: 1 });
    await inbox.waitForTopic('line/a/1', 'still-here', 3000);
    expect((await list('?clientId=pv-sub-a')).items[0].subscriptions).toHaveLength(2);
  });

  it('preview of a user PATCH removing a role names the subscription it revokes and the permissions lost; the user keeps the role', async () => {
    const reader = await stack.rest.createRole('sess-pv-user-role', [
      { context: 'mqtt', resource: 'hall/#', operation: 'read' },
    ]);
    const user = await stack.rest.createUser({
      username: 'sess-pv-user',
      password: PASSWORD,
      roles: [reader.id],
    });
    const c = await connect(gateways[1], 'sess-pv-user', 'pv-user-b');
    await subscribe(c, 'hall/+/door');
    const added = { context: 'mqtt' as const, resource: 'yard/#', operation: 'read' as const };

    const res = await http('POST', `/api/users/${user.id}/preview`, {
      roles: [],
      permissions: [added],
      version: user.version,
    });
    expect(res.status).toBe(200);
    const preview = res.body as unknown as Preview;
    expect(preview.users).toHaveLength(1);
    expect(preview.users[0].lost).toEqual([
      expect.objectContaining({ resource: 'hall/#', operation: 'read' }),
    ]);
    expect(preview.users[0].gained).toEqual([
      expect.objectContaining({ resource: 'yard/#', operation: 'read' }),
    ]);
    expect(preview.users[0].revokes).toEqual([
      { clientId: 'pv-user-b', gatewayId: 'gw-b', kind: 'subscription', filter: 'hall/+/door' },
    ]);
    const now = await stack.rest.getUser(user.id);
    expect(now.roles).toEqual([reader.id]);
    expect(now.version).toBe(user.version);

    // disabling would end the session
    const off = await http('POST', `/api/users/${user.id}/preview`, {
      enabled: false,
      version: user.version,
    });
    expect((off.body as unknown as Preview).users[0].revokes).toEqual([
      { clientId: 'pv-user-b', gatewayId: 'gw-b', kind: 'session' },
    ]);
    // taking away the password grant would end the password session (ADR 0011)
    const grants = await http('POST', `/api/users/${user.id}/preview`, {
      grantTypes: [{ method: 'certificate', isRequired: false }],
      version: user.version,
    });
    expect(grants.status).toBe(200);
    expect((grants.body as unknown as Preview).users[0].revokes).toEqual([
      { clientId: 'pv-user-b', gatewayId: 'gw-b', kind: 'session' },
    ]);
    expect(c.connected).toBe(true);
    // a new password would end the password session
    const pw = await http('POST', `/api/users/${user.id}/preview`, {
      password: 'Another-password-9',
      version: user.version,
    });
    expect(pw.status).toBe(200);
    expect((pw.body as unknown as Preview).users[0].revokes).toEqual([
      { clientId: 'pv-user-b', gatewayId: 'gw-b', kind: 'session' },
    ]);
    expect(c.connected).toBe(true);
    expect((await stack.rest.getUser(user.id)).version).toBe(user.version);
    await stack.rest.loginAs('sess-pv-user', PASSWORD); // the password is unchanged
    const weak = await http('POST', `/api/users/${user.id}/preview`, {
      password: 'short',
      version: user.version,
    });
    expect(weak.status).toBe(400);
    expect(weak.type).toContain('application/problem+json');
  });

  it('preview answers what the PATCH would: 400 on a bad body, 409/428 on versions, 403 without permission or on escalation', async () => {
    const role = await stack.rest.createRole('sess-pv-checks', [
      { context: 'mqtt', resource: 'c/#', operation: 'read' },
    ]);
    const user = await stack.rest.createUser({ username: 'sess-pv-checks', password: PASSWORD });
    for (const body of [
      { permissions: 'nope', version: 1 },
      { permissions: [{ context: 'mqtt' }], version: 1 },
      { bogus: 1, version: 1 },
    ]) {
      const res = await http('POST', `/api/roles/${role.id}/preview`, body);
      expect(res.status).toBe(400);
      expect(res.type).toContain('application/problem+json');
    }
    expect(
      (await http('POST', `/api/users/${user.id}/preview`, { roles: ['not-a-uuid'], version: 1 })).status,
    ).toBe(400);
    expect((await http('POST', `/api/roles/${role.id}/preview`, { permissions: [] })).status).toBe(428);
    const stale = await http('POST', `/api/roles/${role.id}/preview`, {
      permissions: [],
      version: role.version + 1,
    });
    expect(stale.status).toBe(409);
    expect((await http('POST', `/api/roles/not-a-uuid/preview`, { version: 1 })).status).toBe(400);
    const ghost = { roles: ['00000000-0000-4000-8000-00000000dead'], version: user.version };
    const ghostPreview = await http('POST', `/api/users/${user.id}/preview`, ghost);
    expect(ghostPreview.status).toBeGreaterThanOrEqual(400);
    const ghostPatch = await http('PATCH', `/api/users/${user.id}`, ghost);
    expect([ghostPreview.status, ghostPreview.body.code]).toEqual([ghostPatch.status, ghostPatch.body.code]);

    const token = await stack.rest.loginAs('sess-nobody', PASSWORD);
    expect(
      (await http('POST', `/api/roles/${role.id}/preview`, { permissions: [], version: 1 }, token)).status,
    ).toBe(403);

    // a role editor who may not hand out {mqtt, #}: the preview says 403 AUTH.ESCALATION exactly like the PATCH
    const editorRole = await stack.rest.createRole('sess-pv-editor', [
      { context: 'http', resource: '/api/roles/#', operation: 'readWrite' },
      { context: 'http', resource: '/api/roles', operation: 'readWrite' },
    ]);
    await stack.rest.createUser({ username: 'sess-pv-editor', password: PASSWORD, roles: [editorRole.id] });
    const editor = await stack.rest.loginAs('sess-pv-editor', PASSWORD);
    const grab = {
      permissions: [{ context: 'mqtt', resource: '#', operation: 'readWrite' }],
      version: role.version,
    };
    const previewed = await http('POST', `/api/roles/${role.id}/preview`, grab, editor);
    const patched = await http('PATCH', `/api/roles/${role.id}`, grab, editor);
    expect(previewed.status).toBe(403);
    expect(previewed.body.code).toBe('AUTH.ESCALATION');
    expect(patched.status).toBe(previewed.status);
    expect(patched.body.code).toBe(previewed.body.code);
  });

  // last: it stops gateway B
  it('a registered gateway that does not answer is named: gateways.partial, unanswered, and the others still listed', async () => {
    await stack.rest.createUser({ username: 'sess-partial', password: PASSWORD });
    await connect(gateways[0], 'sess-partial', 'partial-on-a');
    const [b] = gateways.splice(1, 1);
    await b.close();
    const page = await list('?clientId=partial-on-a');
    expect(page.gateways).toEqual({ answered: ['gw-a'], unanswered: ['gw-b'], partial: true });
    expect(page.items.map((s) => s.clientId)).toEqual(['partial-on-a']);
    const missing = await http('DELETE', '/api/sessions/nobody-has-this');
    expect(missing.status).toBe(404);
    expect(String(missing.body.detail)).toContain('gw-b');
  });
});
