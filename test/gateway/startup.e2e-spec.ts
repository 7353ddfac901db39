/**
 * Start-up (issue 9 "Also found"; SPEC 7): a port that is taken stops the start with a message naming
 * the variable (`MQTT_PORT 1883 is in use`), for every listener of both apps, instead of a Node stack
 * trace; the start-up lines show the address actually bound; MQTT_HOST binds the gateway listeners.
 */
import 'reflect-metadata';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListenError } from '@gatehouse/contracts';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { createBrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { adminEnvFor, gatewayEnvFor } from '../support/gateway/stack';

jest.setTimeout(60_000);

describe('start-up: ports in use and bound addresses (SPEC 7)', () => {
  let db: TestDatabase;
  let admin: AdminApiHandle;
  let dataDir: string;
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    admin = await createAdminApi(adminEnvFor(db, 'tcp://127.0.0.1:0'), { logger: false });
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-startup-'));
    taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    takenPort = (taken.address() as AddressInfo).port;
  });

  afterAll(async () => {
    taken?.close();
    await admin?.close();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const startFails = async (start: () => Promise<{ close(): Promise<void> }>): Promise<Error> => {
    let err: unknown;
    try {
      const started = await start();
      await started.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ListenError);
    return err as Error;
  };

  it.each(['MQTT_PORT', 'MQTT_TLS_PORT', 'MQTT_WS_PORT', 'GATEWAY_EVENT_PORT', 'GATEWAY_HTTP_PORT'])(
    'the gateway stops with "%s <port> is in use" when that port is taken',
    async (variable) => {
      const err = await startFails(() =>
        createBrokerGateway(
          gatewayEnvFor(admin, dataDir, { [variable]: String(takenPort), GATEWAY_EVENT_HOST: '127.0.0.1' }),
        ),
      );
      expect(err.message).toBe(`${variable} ${takenPort} is in use (bind address 127.0.0.1)`);
    },
  );

  it('the gateway names MQTT_HOST when it is not an address of this machine', async () => {
    const err = await startFails(() =>
      createBrokerGateway(gatewayEnvFor(admin, dataDir, { MQTT_HOST: '192.0.2.1' })),
    );
    expect(err.message).toMatch(/^MQTT_PORT 0: cannot listen on MQTT_HOST 192\.0\.2\.1/);
  });

  it('the gateway names GATEWAY_HTTP_HOST when it is not an address of this machine', async () => {
    const err = await startFails(() =>
      createBrokerGateway(gatewayEnvFor(admin, dataDir, { GATEWAY_HTTP_HOST: '192.0.2.1' })),
    );
    expect(err.message).toMatch(/^GATEWAY_HTTP_PORT 0: cannot listen on GATEWAY_HTTP_HOST 192\.0\.2\.1/);
  });

  it('admin-api stops with "HTTP_PORT <port> is in use" when its HTTP port is taken', async () => {
    const db2 = await createTestDatabase();
    try {
      const err = await startFails(() =>
        createAdminApi(
          { ...adminEnvFor(db2, 'tcp://127.0.0.1:0'), HTTP_PORT: String(takenPort) },
          { logger: false },
        ),
      );
      expect(err.message).toBe(`HTTP_PORT ${takenPort} is in use (bind address 127.0.0.1)`);
    } finally {
      await db2.drop();
    }
  });

  it('admin-api stops with "TRANSPORT_URL <port> is in use" when its transport port is taken', async () => {
    const db2 = await createTestDatabase();
    try {
      const err = await startFails(() =>
        createAdminApi(adminEnvFor(db2, `tcp://127.0.0.1:${takenPort}`), { logger: false }),
      );
      expect(err.message).toBe(`TRANSPORT_URL ${takenPort} is in use (bind address 127.0.0.1)`);
    } finally {
      await db2.drop();
    }
  });

  it('start-up URLs show the bound address: MQTT_HOST 127.0.0.1 and admin-api on HTTP_HOST', async () => {
    const gateway = await createBrokerGateway(gatewayEnvFor(admin, dataDir, { MQTT_HOST: '127.0.0.1' }));
    try {
      expect(gateway.urls).toEqual([
        `mqtt://127.0.0.1:${gateway.ports.mqtt}`,
        `mqtts://127.0.0.1:${gateway.ports.tls}`,
        `ws://127.0.0.1:${gateway.ports.ws}/mqtt`,
      ]);
      // the metrics and health server binds where MQTT_HOST does unless GATEWAY_HTTP_HOST says otherwise
      expect(gateway.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await gateway.close();
    }
    expect(admin.boundHttpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
