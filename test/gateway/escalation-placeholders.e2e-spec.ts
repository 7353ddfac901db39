/**
 * Issue 9, defect 4: no escalation through placeholders (SPEC 2.2). "Hold" is about effective access,
 * compared after each side's `${username}` is substituted: through HTTP with the real admin-api and a
 * real MQTT publish on the real gateway.
 */
import type { MqttClient } from 'mqtt';
import request from 'supertest';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  connackCode,
  connectClient,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

jest.setTimeout(30_000);

const PASSWORD = 'Creator-password-1';
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe('no escalation through placeholders (issue 9 defect 4, SPEC 2.2)', () => {
  let stack: GatewayStack;
  let creator: string;
  let tcp: Endpoint;
  const open: MqttClient[] = [];
  const track = (c: MqttClient): MqttClient => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startGatewayStack();
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    // The creator may manage users and holds its own devices' topics only.
    await stack.rest.createUser({
      username: 'creator',
      password: PASSWORD,
      permissions: [
        { context: 'http', resource: '/api/users/#', operation: 'readWrite' },
        { context: 'mqtt', resource: 'd/${username}/#', operation: 'readWrite' },
      ],
    });
    creator = await stack.rest.loginAs('creator', PASSWORD);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  const createUser = (body: object) =>
    request(stack.admin.httpUrl).post('/api/users').set(bearer(creator)).send(body);

  it('a creator holding d/${username}/# cannot create plant1 with d/${username}/# and publish on d/plant1/x', async () => {
    // What the creator itself may do: d/creator/x yes, d/plant1/x no.
    const witness = track(await connectClient(tcp, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
    const witnessInbox = new Inbox(witness);
    expect(await subscribeCodes(witness, ['d/#'])).toEqual([0]);

    const res = await createUser({
      username: 'plant1',
      password: 'Plant1-password-1',
      permissions: [{ context: 'mqtt', resource: 'd/${username}/#', operation: 'readWrite' }],
    });
    // Whatever admin-api answered: with the password it chose, plant1 must not reach d/plant1/x.
    if (res.status === 201) {
      const plant1 = track(await connectClient(tcp, { username: 'plant1', password: 'Plant1-password-1' }));
      await plant1.publishAsync('d/plant1/x', 'escalated', { qos: 1 }).catch(() => undefined);
    }
    const delivered = await receivedBeforeMarker(witness, witnessInbox, 'd/marker');
    expect(delivered).not.toContain('d/plant1/x');
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 403, code: 'AUTH.ESCALATION' });
    expect(await connackCode(tcp, { username: 'plant1', password: 'Plant1-password-1' })).not.toBe(0);
  });

  it('the creator may grant the literal d/creator/# it holds through d/${username}/#, and the grantee publishes there', async () => {
    const witness = track(await connectClient(tcp, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
    const witnessInbox = new Inbox(witness);
    expect(await subscribeCodes(witness, ['d/#'])).toEqual([0]);

    const res = await createUser({
      username: 'plant2',
      password: 'Plant2-password-1',
      permissions: [{ context: 'mqtt', resource: 'd/creator/#', operation: 'write' }],
    });
    expect(res.status).toBe(201);
    const plant2 = track(await connectClient(tcp, { username: 'plant2', password: 'Plant2-password-1' }));
    await plant2.publishAsync('d/creator/x', 'shared', { qos: 1 });
    expect((await witnessInbox.waitForTopic('d/creator/x', 'shared')).payload).toBe('shared');
  });

  it('the grantee’s ${clientId} stands for any level: d/${clientId}/# is not held through d/${username}/#', async () => {
    const res = await createUser({
      username: 'plant3',
      password: 'Plant3-password-1',
      permissions: [{ context: 'mqtt', resource: 'd/${clientId}/#', operation: 'write' }],
    });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('AUTH.ESCALATION');
  });

  it('assigning or adding later is checked the same way (PATCH with the grantee’s name)', async () => {
    const created = await createUser({ username: 'plant4', password: 'Plant4-password-1' });
    expect(created.status).toBe(201);
    const patch = (permissions: object[], version: number) =>
      request(stack.admin.httpUrl)
        .patch(`/api/users/${created.body.id}`)
        .set(bearer(creator))
        .send({ permissions, version });
    const refused = await patch(
      [{ context: 'mqtt', resource: 'd/${username}/#', operation: 'readWrite' }],
      created.body.version,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('AUTH.ESCALATION');
    const allowed = await patch(
      [{ context: 'mqtt', resource: 'd/creator/status', operation: 'read' }],
      created.body.version,
    );
    expect(allowed.status).toBe(200);
  });
});
