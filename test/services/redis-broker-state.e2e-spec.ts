/**
 * Shared broker state in Redis (SPEC 5, ADR 0101): two gateways with the same `REDIS_URL` behave as one
 * broker: a message published on one reaches the subscribers of the other, retained messages are shared,
 * and each gateway still authorizes its own deliveries, so a revocation stops them on the gateway that
 * holds the subscription. One admin-api on the loopback TCP transport.
 * Runs only when TEST_REDIS_URL is set (`.ci/run` sets it; see jest.config.js, project "services").
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import type { AdminRestClient } from '../support/gateway/admin-rest-client';
import {
  connectClient,
  Inbox,
  receivedBeforeMarker,
  sleepUntil,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import { type ScaleOutStack, startScaleOut, tcpOf } from '../support/gateway/scale-out';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('REDIS_URL: two gateways share broker state', () => {
  let stack: ScaleOutStack;
  let gateways: BrokerGateway[];
  let rest: AdminRestClient;
  const clients: MqttClient[] = [];
  // topics of this run only: the Redis server may hold other runs' retained messages
  const root = `redis-e2e-${randomBytes(4).toString('hex')}`;
  const connect = async (g: BrokerGateway, username: string): Promise<MqttClient> => {
    const c = await connectClient(tcpOf(g), { username, password: `${username}-secret-x9Q7` });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    stack = await startScaleOut('tcp://127.0.0.1:0', [`${root}-gw-a`, `${root}-gw-b`], { REDIS_URL });
    ({ gateways, rest } = stack);
    await rest.createUser({
      username: 'redis-writer',
      password: 'redis-writer-secret-x9Q7',
      permissions: [{ context: 'mqtt', resource: `${root}/#`, operation: 'readWrite' }],
    });
  });

  afterAll(async () => {
    for (const c of clients) await c.endAsync().catch(() => undefined);
    await stack?.close();
  });

  it('delivers a message published on one gateway to a subscriber on the other', async () => {
    await rest.createUser({
      username: 'redis-reader',
      password: 'redis-reader-secret-x9Q7',
      permissions: [{ context: 'mqtt', resource: `${root}/plant/#`, operation: 'read' }],
    });
    const sub = await connect(gateways[1], 'redis-reader');
    const inbox = new Inbox(sub);
    expect(await subscribeCodes(sub, [`${root}/plant/#`], 1)).toEqual([1]);
    const pub = await connect(gateways[0], 'redis-writer');
    await pub.publishAsync(`${root}/plant/line1/temp`, 'across', { qos: 1 });
    await inbox.waitForTopic(`${root}/plant/line1/temp`, 'across');
  });

  it('shares retained messages: one retained on gateway A is delivered on subscribing at gateway B', async () => {
    const pub = await connect(gateways[0], 'redis-writer');
    await pub.publishAsync(`${root}/config/line1`, 'retained-value', { qos: 1, retain: true });
    const sub = await connect(gateways[1], 'redis-writer');
    const inbox = new Inbox(sub);
    expect(await subscribeCodes(sub, [`${root}/config/#`], 1)).toEqual([1]);
    const m = await inbox.waitForTopic(`${root}/config/line1`, 'retained-value');
    expect(m.retain).toBe(true);
    await pub.publishAsync(`${root}/config/line1`, '', { qos: 1, retain: true }); // clear it
  });

  it('a revocation stops deliveries from the other gateway too (the receiving gateway authorizes)', async () => {
    const reader = await rest.createUser({
      username: 'redis-revoked',
      password: 'redis-revoked-secret-x9Q7',
      permissions: [
        { context: 'mqtt', resource: `${root}/alarms/#`, operation: 'read' },
        { context: 'mqtt', resource: `${root}/marker/#`, operation: 'read' },
      ],
    });
    const sub = await connect(gateways[1], 'redis-revoked');
    const inbox = new Inbox(sub);
    expect(await subscribeCodes(sub, [`${root}/alarms/#`, `${root}/marker/#`], 1)).toEqual([1, 1]);
    const pub = await connect(gateways[0], 'redis-writer');
    await pub.publishAsync(`${root}/alarms/a1`, 'before', { qos: 1 });
    await inbox.waitForTopic(`${root}/alarms/a1`, 'before');

    const answeredAt = Date.now();
    await rest.updateUser(reader.id, {
      permissions: [{ context: 'mqtt', resource: `${root}/marker/#`, operation: 'read' }],
    });
    await sleepUntil(answeredAt + 1000);
    inbox.messages.length = 0;
    await pub.publishAsync(`${root}/alarms/a1`, 'after', { qos: 1 });
    // the marker travels the same path (gateway A → Redis → gateway B) after the alarm
    expect(await receivedBeforeMarker(pub, inbox, `${root}/marker/m`)).toEqual([]);
    expect(sub.connected).toBe(true);
  });
});
