import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AdminApiHandle, createAdminApi } from '../../../apps/admin-api/src/bootstrap';
import { type BrokerGateway, createBrokerGateway } from '../../../apps/broker-gateway/src/bootstrap';
import type { Aedes } from 'aedes';
import { AEDES_BROKER } from '../../../apps/broker-gateway/src/broker/aedes.types';
import type { PrincipalChangedEventDto } from '@gatehouse/contracts';
import { PrincipalChangeApplier } from '../../../apps/broker-gateway/src/sessions/principal-change-applier.service';
import { withTimeout } from './mqtt-helpers';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { AdminRestClient } from './admin-rest-client';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'Admin-password-1';

/** admin-api (real database, loopback TCP transport on port 0) and one broker gateway (every listener on port 0). */
export interface GatewayStack {
  admin: AdminApiHandle;
  gateway: BrokerGateway;
  rest: AdminRestClient;
  /** The gateway's aedes instance, to await broker events instead of sleeping. */
  broker: Aedes;
  dataDir: string;
  /** Resolves when the gateway has applied a change event for `userId` (start waiting before the change). */
  changeApplied(userId: string, timeoutMs?: number): Promise<PrincipalChangedEventDto>;
  /** Stops admin-api only (the gateway keeps running). Idempotent. */
  stopAdminApi(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  gatewayEnv?: Record<string, string>;
  /** Added to admin-api's environment (e.g. the failed-login limits). */
  adminEnv?: Record<string, string>;
}

/** admin-api's environment for the test stacks: free ports, the test database, the fixed admin. */
export function adminEnvFor(db: TestDatabase, transportUrl: string): Record<string, string> {
  return {
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    DATA_DIR: db.options.dataDir ?? 'memory://',
    ...(db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : {}),
    TRANSPORT_URL: transportUrl,
    ADMIN_USERNAME,
    ADMIN_PASSWORD,
    LOG_LEVEL: 'warn',
  };
}

/** A gateway's environment for the test stacks: every listener on a free port unless `extra` says otherwise. */
export function gatewayEnvFor(
  admin: AdminApiHandle,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    MQTT_WS_PORT: '0',
    MQTT_TLS_PORT: '0',
    GATEWAY_HTTP_PORT: '0',
    TRANSPORT_URL: admin.transportUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.GATEWAY_TEST_LOG_LEVEL ?? 'error',
    ...extra,
  };
}

export async function startGatewayStack(opts: StackOptions = {}): Promise<GatewayStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-gw-e2e-'));
  const db: TestDatabase = await createTestDatabase();
  const admin = await createAdminApi(
    { ...adminEnvFor(db, 'tcp://127.0.0.1:0'), ...opts.adminEnv },
    { logger: ['error'] },
  );
  let gateway: BrokerGateway;
  try {
    gateway = await createBrokerGateway(gatewayEnvFor(admin, dataDir, opts.gatewayEnv));
  } catch (err) {
    await admin.close();
    await db.drop();
    throw err;
  }
  const rest = await AdminRestClient.login(admin.httpUrl, ADMIN_USERNAME, ADMIN_PASSWORD);
  const applier = gateway.app.get(PrincipalChangeApplier);
  const waiters: { userId: string; resolve: (e: PrincipalChangedEventDto) => void }[] = [];
  const original = applier.apply.bind(applier);
  applier.apply = (event: PrincipalChangedEventDto): void => {
    original(event);
    for (const w of waiters.splice(0)) {
      if (w.userId === event.userId) w.resolve(event);
      else waiters.push(w);
    }
  };
  const changeApplied = (userId: string, timeoutMs = 5000): Promise<PrincipalChangedEventDto> =>
    withTimeout(
      new Promise((resolve) => waiters.push({ userId, resolve })),
      timeoutMs,
      `a change event for ${userId}`,
    );
  let adminStopped = false;
  const stopAdminApi = async (): Promise<void> => {
    if (adminStopped) return;
    adminStopped = true;
    await admin.close();
  };
  return {
    admin,
    gateway,
    rest,
    broker: gateway.app.get<Aedes>(AEDES_BROKER),
    dataDir,
    changeApplied,
    stopAdminApi,
    async close() {
      await gateway.close();
      await stopAdminApi();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
