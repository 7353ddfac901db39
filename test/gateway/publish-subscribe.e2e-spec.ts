/**
 * Issue 3 "Done when" 1, 2, 6, 8 and 9: PUBLISH / SUBSCRIBE / delivery authorization with a real
 * `mqtt` client against the real listeners (TCP, WebSocket, TLS) and the real admin-api.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  type Endpoint,
  Inbox,
  closed,
  connectClient,
  receivedBeforeMarker,
  retainedTopics,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

jest.setTimeout(30_000);

const PASSWORD = 'Device-password-1';

describe('broker gateway: PUBLISH, SUBSCRIBE and deliveries (SPEC 1.4, 3)', () => {
  let stack: GatewayStack;
  let sensorsRole: string;
  const open: MqttClient[] = [];
  const track = (c: MqttClient): MqttClient => {
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startGatewayStack();
    sensorsRole = (
      await stack.rest.createRole('sensor-device', [
        { context: 'mqtt', resource: 'sensors/+/temp', operation: 'write' },
        { context: 'mqtt', resource: 'sensors/#', operation: 'read' },
      ])
    ).id;
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  const endpoints = (): Record<'tcp' | 'ws', Endpoint> => ({
    tcp: { kind: 'tcp', port: stack.gateway.ports.mqtt },
    ws: { kind: 'ws', port: stack.gateway.ports.ws as number },
  });

  describe.each(['tcp', 'ws'] as const)('over %s', (kind) => {
    it(`case 1: an allowed publish is delivered; a refused one disconnects the publisher and is neither delivered nor retained [MQTT-3.3.5-2]`, async () => {
      const e = endpoints()[kind];
      const username = `sensor-${kind}-1`;
      await stack.rest.createUser({ username, password: PASSWORD, roles: [sensorsRole] });
      const witness = track(await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
      const witnessInbox = new Inbox(witness);
      expect(await subscribeCodes(witness, ['#'])).toEqual([0]);
      const subscriber = track(await connectClient(e, { username, password: PASSWORD }));
      const inbox = new Inbox(subscriber);
      expect(await subscribeCodes(subscriber, ['sensors/#'])).toEqual([0]);
      const publisher = track(await connectClient(e, { username, password: PASSWORD }));

      await publisher.publishAsync('sensors/a/temp', '21.5', { qos: 1 });
      expect((await inbox.waitForTopic('sensors/a/temp')).payload).toBe('21.5');

      publisher.publish('actuators/x', 'open', { qos: 1, retain: true });
      await closed(publisher);
      expect(await receivedBeforeMarker(witness, witnessInbox, `marker/${kind}`)).not.toContain(
        'actuators/x',
      );
      expect(await retainedTopics(stack.broker, 'actuators/#')).toEqual([]);
    });

    it('case 2: one SUBSCRIBE with sensors/#, # and actuators/+ → SUBACK grants the first, 0x80 for the others [MQTT-3.9.3-1]', async () => {
      const e = endpoints()[kind];
      const username = `sensor-${kind}-2`;
      await stack.rest.createUser({ username, password: PASSWORD, roles: [sensorsRole] });
      const c = track(await connectClient(e, { username, password: PASSWORD }));
      expect(await subscribeCodes(c, ['sensors/#', '#', 'actuators/+'], 1)).toEqual([1, 0x80, 0x80]);
      // The connection stays open and the granted filter delivers.
      const inbox = new Inbox(c);
      await c.publishAsync('sensors/b/temp', 'x', { qos: 1 });
      await inbox.waitForTopic('sensors/b/temp');
      expect(c.connected).toBe(true);
    });
  });

  it('a retained message is re-checked on delivery: a subscriber without read on its topic does not get it (SPEC 1.4.4)', async () => {
    const e = endpoints().tcp;
    const admin = track(await connectClient(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }));
    await admin.publishAsync('sensors/secret/temp', 'retained-secret', { qos: 1, retain: true });
    await admin.publishAsync('sensors/open/temp', 'retained-open', { qos: 1, retain: true });
    const role = await stack.rest.createRole('open-reader', [
      { context: 'mqtt', resource: 'sensors/open/#', operation: 'read' },
    ]);
    // Holds read on sensors/+/temp through a second rule only for "open" → subscribing sensors/# is refused,
    // sensors/open/temp granted: only its retained message arrives.
    await stack.rest.createUser({ username: 'retained-reader', password: PASSWORD, roles: [role.id] });
    const c = track(await connectClient(e, { username: 'retained-reader', password: PASSWORD }));
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['sensors/open/temp', 'sensors/+/temp'])).toEqual([0, 0x80]);
    await inbox.waitForTopic('sensors/open/temp', 'retained-open');
    expect(inbox.topics()).not.toContain('sensors/secret/temp');
  });

  it('$SYS/ is never writable by clients, not even by the admin who holds write on # (SPEC 3)', async () => {
    const c = track(
      await connectClient(endpoints().tcp, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    );
    c.publish('$SYS/fake/uptime', '1', { qos: 1 });
    await closed(c);
  });

  it('case 6: ${username} lets dev1 use devices/dev1/x and not devices/dev2/x', async () => {
    const e = endpoints().tcp;
    const role = await stack.rest.createRole('own-device', [
      { context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' },
    ]);
    await stack.rest.createUser({ username: 'dev1', password: PASSWORD, roles: [role.id] });
    const c = track(await connectClient(e, { username: 'dev1', password: PASSWORD }));
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['devices/dev1/#', 'devices/dev2/#', 'devices/+/x'])).toEqual([
      0, 0x80, 0x80,
    ]);
    await c.publishAsync('devices/dev1/x', 'mine', { qos: 1 });
    await inbox.waitForTopic('devices/dev1/x', 'mine');
    c.publish('devices/dev2/x', 'theirs', { qos: 1 });
    await closed(c);
  });

  it('case 6: a client id containing + gains nothing from a ${clientId} rule; a plain one does', async () => {
    const e = endpoints().tcp;
    const role = await stack.rest.createRole('own-client', [
      { context: 'mqtt', resource: 'clients/${clientId}/#', operation: 'readWrite' },
    ]);
    await stack.rest.createUser({ username: 'client-rule', password: PASSWORD, roles: [role.id] });
    const plain = track(
      await connectClient(e, { username: 'client-rule', password: PASSWORD, clientId: 'plain-1' }),
    );
    expect(await subscribeCodes(plain, ['clients/plain-1/#'])).toEqual([0]);
    const wild = track(
      await connectClient(e, { username: 'client-rule', password: PASSWORD, clientId: '+' }),
    );
    expect(await subscribeCodes(wild, ['clients/+/#', 'clients/#'])).toEqual([0x80, 0x80]);
    wild.publish('clients/x/data', '1', { qos: 1 });
    await closed(wild);
  });

  it('case 8: with mqttPublishPrefix "site1/", publishing a/b is delivered on site1/a/b and needs write on site1/a/b (SPEC 1.3)', async () => {
    const e = endpoints().tcp;
    const role = await stack.rest.createRole('site1-writer', [
      { context: 'mqtt', resource: 'site1/a/#', operation: 'write' },
      { context: 'mqtt', resource: 'site1/#', operation: 'read' },
    ]);
    await stack.rest.createUser({
      username: 'prefixed',
      password: PASSWORD,
      roles: [role.id],
      mqttPublishPrefix: 'site1/',
    });
    const c = track(await connectClient(e, { username: 'prefixed', password: PASSWORD }));
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['site1/#', 'a/#'])).toEqual([0, 0x80]);
    await c.publishAsync('a/b', 'hello', { qos: 1 });
    await inbox.waitForTopic('site1/a/b', 'hello');
    expect(inbox.topics()).toEqual(['site1/a/b']);
    // site1/c/d is not writable: c/d is refused although the user could read it.
    c.publish('c/d', 'nope', { qos: 1 });
    await closed(c);
  });

  it('case 9: a TLS connection with the generated server certificate works', async () => {
    expect(stack.gateway.ports.tls).toBeDefined();
    const ca = await readFile(join(stack.dataDir, 'tls', 'broker-gateway.crt'));
    const e: Endpoint = { kind: 'tls', port: stack.gateway.ports.tls as number, ca };
    await stack.rest.createUser({ username: 'tls-device', password: PASSWORD, roles: [sensorsRole] });
    const c = track(
      await connectClient(e, { username: 'tls-device', password: PASSWORD, rejectUnauthorized: true }),
    );
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, ['sensors/#', '#'])).toEqual([0, 0x80]);
    await c.publishAsync('sensors/tls/temp', 'secure', { qos: 1 });
    await inbox.waitForTopic('sensors/tls/temp', 'secure');
  });
});
