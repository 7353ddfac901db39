import { randomBytes } from 'node:crypto';
import { type IConnackPacket, type IClientOptions, type MqttClient, connect } from 'mqtt';
import type { AdminRestClient } from './admin-rest-client';
import {
  type Endpoint,
  Inbox,
  clientId as uniqueClientId,
  closed,
  connackCode,
  subscribeCodes,
  urlOf,
  withTimeout,
} from './mqtt-helpers';
import { RawClient, connectPacket } from './raw-mqtt';

/** Where the cases run: `a` and `b` are the same gateway, or two gateways sharing REDIS_URL. */
export interface IsolationTarget {
  a: Endpoint;
  b: Endpoint;
  rest: AdminRestClient;
}

/**
 * SPEC 3 "Client ids belong to users" (issue 9, defect 2) and [MQTT-3.1.3-8], written once and run on one
 * gateway (test/gateway/session-isolation.e2e-spec.ts) and on two gateways with Redis
 * (test/services/session-isolation-redis.e2e-spec.ts). Alice owns a client id; Bob (another user) using
 * it is refused with CONNACK 2 and Alice's live or stored session is left as it was.
 */
export function clientIdIsolationCases(target: () => IsolationTarget): void {
  // a block of their own: its afterAll (ending the stored sessions) runs before the caller's stops the stack
  describe('client ids', () => clientIdCases(target));
}

function clientIdCases(target: () => IsolationTarget): void {
  const run = randomBytes(3).toString('hex');
  const root = `iso-${run}`;
  const open: MqttClient[] = [];
  const alice = { username: `alice-${run}`, password: `alice-${run}-secret-1` };
  const bob = { username: `bob-${run}`, password: `bob-${run}-secret-1` };
  const pub = { username: `pub-${run}`, password: `pub-${run}-secret-1` };
  /** Client ids Alice used with clean=false: ended at the end with clean=true (no session left in Redis). */
  const stored = new Set<string>();

  /** Connects and resolves with the client and its CONNACK; rejects with the CONNACK code. */
  const connectAs = async (
    e: Endpoint,
    who: { username: string; password: string },
    opts: IClientOptions,
  ): Promise<{ client: MqttClient; connack: IConnackPacket }> => {
    const client = connect(urlOf(e), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      ...(e.ca ? { ca: e.ca } : {}),
      ...who,
      ...opts,
    });
    open.push(client);
    if (who === alice && opts.clean === false && typeof opts.clientId === 'string') stored.add(opts.clientId);
    const connack = await withTimeout(
      new Promise<IConnackPacket>((resolve, reject) => {
        client.once('connect', (p) => resolve(p));
        client.once('error', reject);
        client.once('close', () => reject(new Error('closed before CONNACK')));
      }),
      10_000,
      'CONNACK',
    ).catch((err: unknown) => {
      client.end(true);
      throw err;
    });
    client.on('error', () => undefined);
    return { client, connack };
  };

  /** Proves a live session still works: a QoS 1 round trip through its own subscription. */
  const assertAlive = async (c: MqttClient, topic: string): Promise<void> => {
    const inbox = new Inbox(c);
    expect(await subscribeCodes(c, [topic], 1)).toEqual([1]);
    const marker = `alive-${Math.random()}`;
    await c.publishAsync(topic, marker, { qos: 1 });
    await inbox.waitForTopic(topic, marker);
    expect(c.connected).toBe(true);
  };

  beforeAll(async () => {
    const { rest } = target();
    for (const who of [alice, bob]) {
      await rest.createUser({
        ...who,
        permissions: [{ context: 'mqtt', resource: `${root}/${who.username}/#`, operation: 'readWrite' }],
      });
    }
    await rest.createUser({
      ...pub,
      permissions: [{ context: 'mqtt', resource: `${root}/#`, operation: 'write' }],
    });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    const { a } = target();
    for (const id of stored) {
      const { client } = await connectAs(a, alice, { clientId: id, clean: true }).catch(() => ({
        client: null,
      }));
      await client?.endAsync().catch(() => undefined);
    }
  });

  it("another user's CONNECT with a live session's client id gets CONNACK 2 and does not kick it", async () => {
    const { a, b } = target();
    const id = uniqueClientId('iso-live');
    const owner = await connectAs(a, alice, { clientId: id, clean: true });
    expect(await connackCode(b, { ...bob, clientId: id, clean: true })).toBe(2);
    expect(await connackCode(b, { ...bob, clientId: id, clean: false })).toBe(2);
    await assertAlive(owner.client, `${root}/${alice.username}/live`);
  });

  it("another user with clean=false gets CONNACK 2, not the stored session; the owner's queued QoS 1 message waits for her", async () => {
    const { a, b } = target();
    const id = uniqueClientId('iso-stored');
    const topic = `${root}/${alice.username}/queued`;
    const first = await connectAs(a, alice, { clientId: id, clean: false });
    expect(await subscribeCodes(first.client, [topic], 1)).toEqual([1]);
    await first.client.endAsync();
    const publisher = await connectAs(a, pub, { clientId: uniqueClientId('iso-pub'), clean: true });
    await publisher.client.publishAsync(topic, 'for-alice', { qos: 1 });

    expect(await connackCode(b, { ...bob, clientId: id, clean: false })).toBe(2);

    const back = await connectAs(b, alice, { clientId: id, clean: false });
    expect(back.connack.sessionPresent).toBe(true);
    const inbox = new Inbox(back.client);
    await inbox.waitForTopic(topic, 'for-alice');
  });

  it("another user with clean=true gets CONNACK 2 and does not wipe the stored session [MQTT-3.1.2-6 is the owner's]", async () => {
    const { a, b } = target();
    const id = uniqueClientId('iso-wipe');
    const topic = `${root}/${alice.username}/kept`;
    const first = await connectAs(a, alice, { clientId: id, clean: false });
    expect(await subscribeCodes(first.client, [topic], 1)).toEqual([1]);
    await first.client.endAsync();

    expect(await connackCode(b, { ...bob, clientId: id, clean: true })).toBe(2);

    const back = await connectAs(a, alice, { clientId: id, clean: false });
    expect(back.connack.sessionPresent).toBe(true);
    const publisher = await connectAs(b, pub, { clientId: uniqueClientId('iso-pub'), clean: true });
    const inbox = new Inbox(back.client);
    await publisher.client.publishAsync(topic, 'still-subscribed', { qos: 1 });
    await inbox.waitForTopic(topic, 'still-subscribed');
  });

  it('the same user reconnecting with her client id takes the session over [MQTT-3.1.4-2]', async () => {
    const { a, b } = target();
    const id = uniqueClientId('iso-takeover');
    const topic = `${root}/${alice.username}/takeover`;
    const first = await connectAs(a, alice, { clientId: id, clean: false });
    expect(await subscribeCodes(first.client, [topic], 1)).toEqual([1]);
    const firstClosed = closed(first.client, 10_000);
    const second = await connectAs(b, alice, { clientId: id, clean: false });
    expect(second.connack.sessionPresent).toBe(true);
    await firstClosed;
    await assertAlive(second.client, topic);
    // the owner's clean=true reconnect ends the stored session; then the id is free for others
    await second.client.endAsync();
    const clean = await connectAs(a, alice, { clientId: id, clean: true });
    await clean.client.endAsync();
    const other = await connectAs(b, bob, { clientId: id, clean: true });
    expect(other.connack.returnCode).toBe(0);
  });

  it('a zero-length client id is refused with CONNACK 2 when clean=false and accepted when clean=true [MQTT-3.1.3-8]', async () => {
    const { a } = target();
    const refused = await RawClient.open(a.port);
    await refused.write(connectPacket({ clientId: '', clean: false, ...alice }));
    expect(await refused.connack()).toEqual({ returnCode: 2, sessionPresent: false });
    await refused.closed();

    const accepted = await RawClient.open(a.port);
    await accepted.write(connectPacket({ clientId: '', clean: true, ...alice }));
    expect(await accepted.connack()).toEqual({ returnCode: 0, sessionPresent: false });
    accepted.destroy();
  });
}
