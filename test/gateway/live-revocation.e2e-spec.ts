/**
 * Issue 3 "Done when" 3 and 4 (SPEC 3 "Live changes"): changes made through the admin API reach live
 * MQTT sessions within a second; only the affected sessions are touched.
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
  closed,
  connackCode,
  connectClient,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

jest.setTimeout(30_000);

const PASSWORD = 'Device-password-1';

describe('broker gateway: live changes (SPEC 3)', () => {
  let stack: GatewayStack;
  let e: Endpoint;
  let admin: MqttClient;
  const open: MqttClient[] = [];
  const track = (c: MqttClient): MqttClient => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startGatewayStack();
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    admin = await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await admin?.endAsync(true);
    await stack?.close();
  }, 30_000);

  /** Resolves with the time (ms after `since`) at which the broker removed `filter` from client `id`. */
  const unsubscribed = (id: string, filter: string): Promise<number> =>
    brokerEvent<[string[], AedesClient]>(
      stack.broker,
      'unsubscribe',
      (subs, c) => c.id === id && subs.includes(filter),
    ).then(() => Date.now());

  it('case 3: unassigning the role stops deliveries within 1 s, keeps the connection and what the user may still do; re-granting lets a new SUBSCRIBE succeed', async () => {
    const reader = await stack.rest.createRole('sensor-reader', [
      { context: 'mqtt', resource: 'sensors/#', operation: 'read' },
    ]);
    const direct = [
      { context: 'mqtt' as const, resource: 'sensors/+/temp', operation: 'write' as const },
      { context: 'mqtt' as const, resource: 'self/${username}/#', operation: 'readWrite' as const },
    ];
    const user = await stack.rest.createUser({
      username: 'revoked-reader',
      password: PASSWORD,
      roles: [reader.id],
      permissions: direct,
    });
    await stack.rest.createUser({ username: 'bystander', password: PASSWORD, roles: [reader.id] });

    const c = track(
      await connectClient(e, {
        username: 'revoked-reader',
        password: PASSWORD,
        clientId: 'revoked-reader-1',
      }),
    );
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['sensors/#', 'self/revoked-reader/#'])).toEqual([0, 0]);
    const bystander = track(await connectClient(e, { username: 'bystander', password: PASSWORD }));
    const bystanderInbox = new Inbox(bystander);
    expect(await subscribeCodes(bystander, ['sensors/#'])).toEqual([0]);

    await admin.publishAsync('sensors/a/temp', 'before', { qos: 1 });
    await inbox.waitForTopic('sensors/a/temp', 'before');

    const removal = unsubscribed('revoked-reader-1', 'sensors/#');
    await stack.rest.updateUser(user.id, { roles: [] });
    const answeredAt = Date.now();
    expect(Math.max(0, (await removal) - answeredAt)).toBeLessThan(1000);

    await admin.publishAsync('sensors/b/temp', 'after', { qos: 1 });
    // Still connected, and still allowed to publish what it may (a QoS 1 PUBACK arrives).
    await c.publishAsync('sensors/c/temp', 'own', { qos: 1 });
    expect(c.connected).toBe(true);
    const seen = await receivedBeforeMarker(c, inbox, 'self/revoked-reader/marker');
    expect(seen.filter((t) => t.startsWith('sensors/'))).toEqual(['sensors/a/temp']);
    // The other user holding the role is untouched.
    await bystanderInbox.waitForTopic('sensors/b/temp', 'after');
    await bystanderInbox.waitForTopic('sensors/c/temp', 'own');
    expect(bystander.connected).toBe(true);

    expect(await subscribeCodes(c, ['sensors/#'])).toEqual([0x80]);
    const applied = stack.changeApplied(user.id);
    await stack.rest.updateUser(user.id, { roles: [reader.id] });
    await applied;
    expect(await subscribeCodes(c, ['sensors/#'])).toEqual([0]);
    await admin.publishAsync('sensors/d/temp', 'again', { qos: 1 });
    await inbox.waitForTopic('sensors/d/temp', 'again');
  });

  it('case 3: editing a role removes the subscriptions it no longer covers from every holder, within 1 s', async () => {
    const role = await stack.rest.createRole('line-reader', [
      { context: 'mqtt', resource: 'line/+/status', operation: 'read' },
      { context: 'mqtt', resource: 'line/+/alarm', operation: 'read' },
    ]);
    const user = await stack.rest.createUser({
      username: 'line-watcher',
      password: PASSWORD,
      roles: [role.id],
    });
    const c = track(
      await connectClient(e, { username: 'line-watcher', password: PASSWORD, clientId: 'line-watcher-1' }),
    );
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['line/+/status', 'line/+/alarm'])).toEqual([0, 0]);
    const removal = unsubscribed('line-watcher-1', 'line/+/status');
    await stack.rest.updateRole(role.id, [{ context: 'mqtt', resource: 'line/+/alarm', operation: 'read' }]);
    const answeredAt = Date.now();
    expect(Math.max(0, (await removal) - answeredAt)).toBeLessThan(1000);
    await admin.publishAsync('line/1/status', 'up', { qos: 1 });
    await admin.publishAsync('line/1/alarm', 'fire', { qos: 1 });
    await inbox.waitForTopic('line/1/alarm', 'fire');
    expect(inbox.topics()).toEqual(['line/1/alarm']);
    expect(c.connected).toBe(true);
    void user;
  });

  it('case 4: disabling the user disconnects its live session within 1 s; a new CONNECT gets CONNACK 5; other users stay connected', async () => {
    const role = await stack.rest.createRole('plain-reader', [
      { context: 'mqtt', resource: 'plain/#', operation: 'read' },
    ]);
    const user = await stack.rest.createUser({
      username: 'to-disable',
      password: PASSWORD,
      roles: [role.id],
    });
    await stack.rest.createUser({ username: 'stays', password: PASSWORD, roles: [role.id] });
    const c = track(await connectClient(e, { username: 'to-disable', password: PASSWORD }));
    const other = track(await connectClient(e, { username: 'stays', password: PASSWORD }));
    const gone = closed(c, 5000).then(() => Date.now());
    await stack.rest.updateUser(user.id, { enabled: false });
    const answeredAt = Date.now();
    expect(Math.max(0, (await gone) - answeredAt)).toBeLessThan(1000);
    expect(await connackCode(e, { username: 'to-disable', password: PASSWORD })).toBe(5);
    expect(other.connected).toBe(true);
    const otherInbox = new Inbox(other);
    expect(await subscribeCodes(other, ['plain/#'])).toEqual([0]);
    await admin.publishAsync('plain/x', '1', { qos: 1 });
    await otherInbox.waitForTopic('plain/x');
  });

  it('deleting the user disconnects its sessions; a new CONNECT gets CONNACK 4 (unknown user)', async () => {
    const user = await stack.rest.createUser({ username: 'to-delete', password: PASSWORD });
    const c = track(await connectClient(e, { username: 'to-delete', password: PASSWORD }));
    const gone = closed(c);
    await stack.rest.deleteUser(user.id);
    await gone;
    expect(await connackCode(e, { username: 'to-delete', password: PASSWORD })).toBe(4);
  });
});
