import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../../apps/admin-api/src/bootstrap';
import { type BrokerGateway, createBrokerGateway } from '../../../apps/broker-gateway/src/bootstrap';
import { AdminRestClient } from './admin-rest-client';
import type { Endpoint } from './mqtt-helpers';
import { ADMIN_PASSWORD, ADMIN_USERNAME, adminEnvFor, gatewayEnvFor } from './stack';

/** One admin-api and several gateways (the scale-out suites in test/services). */
export interface ScaleOutStack {
  admin: AdminApiHandle;
  gateways: BrokerGateway[];
  rest: AdminRestClient;
  close(): Promise<void>;
}

export const tcpOf = (g: BrokerGateway): Endpoint => ({ kind: 'tcp', port: g.ports.mqtt });

/**
 * admin-api on a fresh database and one gateway per id (TCP listener only, port 0).
 * @param transportUrl - `nats://…`, or `tcp://127.0.0.1:0` (the gateways then use the port admin-api got)
 * @param gatewayEnv - added to every gateway's environment (e.g. `REDIS_URL`)
 */
export async function startScaleOut(
  transportUrl: string,
  ids: string[],
  gatewayEnv: Record<string, string> = {},
): Promise<ScaleOutStack> {
  const db: TestDatabase = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-scale-out-'));
  const admin = await createAdminApi(adminEnvFor(db, transportUrl), { logger: ['error'] });
  const gateways: BrokerGateway[] = [];
  const close = async (): Promise<void> => {
    for (const g of gateways) await g.close();
    await admin.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    for (const id of ids) {
      const env = { MQTT_WS_PORT: 'off', MQTT_TLS_PORT: 'off', GATEWAY_ID: id, ...gatewayEnv };
      gateways.push(await createBrokerGateway(gatewayEnvFor(admin, join(dataDir, id), env)));
    }
  } catch (err) {
    await close();
    throw err;
  }
  const rest = await AdminRestClient.login(admin.httpUrl, ADMIN_USERNAME, ADMIN_PASSWORD);
  return { admin, gateways, rest, close };
}
