/**
 * Scale-out on NATS (SPEC 5): admin-api and two broker gateways share a real NATS server. Requests
 * (CONNECT authentication) are served through NATS, and a change made through the admin API reaches
 * BOTH gateways, which apply it to their live sessions within a second.
 * Runs only when TEST_NATS_URL is set (`.ci/run` sets it; see jest.config.js, project "services").
 */
import type { BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import type { AdminRestClient } from '../support/gateway/admin-rest-client';
import {
  closed,
  connackCode,
  connectClient,
  Inbox,
  receivedBeforeMarker,
  sleepUntil,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import { type ScaleOutStack, startScaleOut, tcpOf as tcp } from '../support/gateway/scale-out';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('NATS transport: one admin-api, two gateways', () => {
  let stack: ScaleOutStack;
  let gateways: BrokerGateway[];
  let rest: AdminRestClient;

  beforeAll(async () => {
    stack = await startScaleOut(NATS_URL, ['gw-a', 'gw-b']);
    ({ gateways, rest } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('/health/ready checks the NATS connection (a flush round trip)', async () => {
    const res = await fetch(`${stack.admin.httpUrl}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', database: 'ok', transport: 'ok' });
  });

  it('authenticates CONNECTs on both gateways through NATS', async () => {
    await rest.createUser({ username: 'nats-dev', password: 'nats-dev-secret-x9Q7', permissions: [] });
    for (const g of gateways) {
      expect(await connackCode(tcp(g), { username: 'nats-dev', password: 'nats-dev-secret-x9Q7' })).toBe(0);
      expect(await connackCode(tcp(g), { username: 'nats-dev', password: 'wrong-password' })).toBe(4);
    }
  });

  it('a revocation reaches every gateway: deliveries stop on both within 1 s', async () => {
    const role = await rest.createRole('nats-readers', [
      { context: 'mqtt', resource: 'plant/#', operation: 'read' },
    ]);
    const reader = await rest.createUser({
      username: 'nats-reader',
      password: 'nats-reader-secret-x9Q7',
      roles: [role.id],
      permissions: [{ context: 'mqtt', resource: 'marker/#', operation: 'read' }],
    });
    await rest.createUser({
      username: 'nats-writer',
      password: 'nats-writer-secret-x9Q7',
      permissions: [{ context: 'mqtt', resource: '#', operation: 'readWrite' }],
    });
    const subs = await Promise.all(
      gateways.map((g) =>
        connectClient(tcp(g), { username: 'nats-reader', password: 'nats-reader-secret-x9Q7' }),
      ),
    );
    const inboxes = subs.map((s) => new Inbox(s));
    for (const s of subs) expect(await subscribeCodes(s, ['plant/#', 'marker/#'], 1)).toEqual([1, 1]);
    const pubs = await Promise.all(
      gateways.map((g) =>
        connectClient(tcp(g), { username: 'nats-writer', password: 'nats-writer-secret-x9Q7' }),
      ),
    );
    // Before: each subscriber receives what is published on its own gateway.
    for (let i = 0; i < 2; i++) {
      await pubs[i].publishAsync('plant/line1/temp', 'before', { qos: 1 });
      await inboxes[i].waitForTopic('plant/line1/temp', 'before');
    }
    const answeredAt = Date.now();
    await rest.updateUser(reader.id, { roles: [] });
    // One second after the API answered, nothing more is delivered on either gateway; the marker
    // (a topic the reader may still read) proves the connection is open and delivering.
    await sleepUntil(answeredAt + 1000);
    for (let i = 0; i < 2; i++) {
      inboxes[i].messages.length = 0;
      await pubs[i].publishAsync('plant/line1/temp', 'after', { qos: 1 });
      const before = await receivedBeforeMarker(pubs[i], inboxes[i], `marker/${i}`);
      expect(before).toEqual([]);
      expect(subs[i].connected).toBe(true);
    }
    for (const c of [...subs, ...pubs]) await c.endAsync();
  });

  it('disabling a user disconnects its sessions on both gateways', async () => {
    const u = await rest.createUser({
      username: 'nats-victim',
      password: 'nats-victim-secret-x9Q7',
      permissions: [],
    });
    const clients = await Promise.all(
      gateways.map((g) =>
        connectClient(tcp(g), { username: 'nats-victim', password: 'nats-victim-secret-x9Q7' }),
      ),
    );
    await rest.updateUser(u.id, { enabled: false });
    for (const c of clients) expect(await closed(c, 2000)).toBeLessThanOrEqual(2000);
  });

  // last: it closes admin-api's NATS connection
  it('/health/ready answers 503 problem+json once the NATS connection is closed', async () => {
    const [transport] = stack.admin.app.getMicroservices();
    await transport.unwrap<{ close(): Promise<void> }>().close();
    const res = await fetch(`${stack.admin.httpUrl}/health/ready`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 503, code: 'HEALTH.TRANSPORT_DOWN' });
  });
});
