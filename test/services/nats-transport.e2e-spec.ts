/**
 * Scale-out on NATS (SPEC 5): admin-api and two broker gateways share a real NATS server. Requests
 * (CONNECT authentication) are served through NATS, and a change made through the admin API reaches
 * BOTH gateways, which apply it to their live sessions within a second.
 * Runs only when TEST_NATS_URL is set (`.ci/run` sets it; see jest.config.js, project "services").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { type BrokerGateway, createBrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { AdminRestClient } from '../support/gateway/admin-rest-client';
import {
  closed,
  connackCode,
  connectClient,
  type Endpoint,
  Inbox,
  receivedBeforeMarker,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

describe('NATS transport: one admin-api, two gateways', () => {
  let db: TestDatabase;
  let admin: AdminApiHandle;
  const gateways: BrokerGateway[] = [];
  let dataDir: string;
  let rest: AdminRestClient;
  const tcp = (g: BrokerGateway): Endpoint => ({ kind: 'tcp', port: g.ports.mqtt });

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-nats-'));
    admin = await createAdminApi(
      {
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        DATA_DIR: db.options.dataDir,
        ...(db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : {}),
        TRANSPORT_URL: NATS_URL,
        ADMIN_PASSWORD: 'Admin-password-1',
      },
      { logger: ['error'] },
    );
    for (const id of ['gw-a', 'gw-b']) {
      gateways.push(
        await createBrokerGateway({
          MQTT_HOST: '127.0.0.1',
          MQTT_PORT: '0',
          MQTT_WS_PORT: 'off',
          MQTT_TLS_PORT: 'off',
          TRANSPORT_URL: NATS_URL,
          GATEWAY_ID: id,
          DATA_DIR: join(dataDir, id),
          LOG_LEVEL: 'error',
        }),
      );
    }
    rest = await AdminRestClient.login(admin.httpUrl, 'admin', 'Admin-password-1');
  });

  afterAll(async () => {
    for (const g of gateways) await g.close();
    await admin?.close();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('authenticates CONNECTs on both gateways through NATS', async () => {
    await rest.createUser({ username: 'nats-dev', password: 'nats-dev-secret', permissions: [] });
    for (const g of gateways) {
      expect(await connackCode(tcp(g), { username: 'nats-dev', password: 'nats-dev-secret' })).toBe(0);
      expect(await connackCode(tcp(g), { username: 'nats-dev', password: 'wrong-password' })).toBe(4);
    }
  });

  it('a revocation reaches every gateway: deliveries stop on both within 1 s', async () => {
    const role = await rest.createRole('nats-readers', [
      { context: 'mqtt', resource: 'plant/#', operation: 'read' },
    ]);
    const reader = await rest.createUser({
      username: 'nats-reader',
      password: 'nats-reader-secret',
      roles: [role.id],
      permissions: [{ context: 'mqtt', resource: 'marker/#', operation: 'read' }],
    });
    await rest.createUser({
      username: 'nats-writer',
      password: 'nats-writer-secret',
      permissions: [{ context: 'mqtt', resource: '#', operation: 'readWrite' }],
    });
    const subs = await Promise.all(
      gateways.map((g) => connectClient(tcp(g), { username: 'nats-reader', password: 'nats-reader-secret' })),
    );
    const inboxes = subs.map((s) => new Inbox(s));
    for (const s of subs) expect(await subscribeCodes(s, ['plant/#', 'marker/#'], 1)).toEqual([1, 1]);
    const pubs = await Promise.all(
      gateways.map((g) => connectClient(tcp(g), { username: 'nats-writer', password: 'nats-writer-secret' })),
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
    const wait = answeredAt + 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
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
      password: 'nats-victim-secret',
      permissions: [],
    });
    const clients = await Promise.all(
      gateways.map((g) => connectClient(tcp(g), { username: 'nats-victim', password: 'nats-victim-secret' })),
    );
    await rest.updateUser(u.id, { enabled: false });
    for (const c of clients) expect(await closed(c, 2000)).toBeLessThanOrEqual(2000);
  });
});
