/**
 * Gatehouse under test, as an operator runs it: admin-api and the broker gateway built to dist/ and
 * started as two separate processes (like `npm start`), talking over the loopback TCP transport, with
 * a fresh PostgreSQL database named `gatehouse_bench_*` (created here, dropped at the end).
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { TMP, log } from './common';
import { type Spawned, spawnNode, stop } from './processes';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'Bench-admin-password-1';
/** PostgreSQL server for the bench databases (trust auth on loopback on the benchmark machine). */
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

const NODE_ARGS = ['--disable-warning=ExperimentalWarning'];

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createBenchDatabase(scenario: string): Promise<BenchDatabase> {
  const name = `gatehouse_bench_${scenario.replace(/[^a-z0-9]/g, '_')}_${process.pid}`;
  const admin = new Client({ connectionString: `${PG_URL}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: `${PG_URL}/${name}`,
    async drop() {
      if (!name.includes('bench')) throw new Error(`refusing to drop ${name}`);
      const c = new Client({ connectionString: `${PG_URL}/postgres` });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface AdminApiProcess extends Spawned {
  httpUrl: string;
  transportUrl: string;
}

/** `restart`: keep DATA_DIR (the CA key's passphrase lives there) and the database. */
export async function startAdminApi(
  db: BenchDatabase,
  scenario: string,
  env: Record<string, string> = {},
  restart = false,
  root?: string,
): Promise<AdminApiProcess> {
  const dataDir = path.join(TMP, `${scenario}-admin-data`);
  if (!restart) fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const p = spawnNode('dist/apps/admin-api/src/main.js', {
    label: 'admin-api',
    cwd: root,
    nodeArgs: NODE_ARGS,
    inspectable: true,
    env: {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      TRANSPORT_URL: 'tcp://127.0.0.1:0',
      ADMIN_USERNAME,
      ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const http = await p.waitFor(/admin-api\s+http\s+(http:\/\/\S+?)\/api\s/, 120_000);
  const transport = await p.waitFor(/admin-api\s+transport\s+((?:tcp|nats):\/\/\S+)/, 30_000);
  return Object.assign(p, { httpUrl: http[1], transportUrl: transport[1] });
}

export interface GatewayProcess extends Spawned {
  mqttUrl: string;
  port: number;
  /** `mqtts://…` when started with `MQTT_TLS_PORT: '0'`. */
  tlsUrl?: string;
}

/** Starts the gateway (TCP listener only, on a free loopback port). `inspectable` for profiles and heap figures. */
export async function startGateway(
  admin: AdminApiProcess,
  scenario: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  root?: string,
): Promise<GatewayProcess> {
  const dataDir = path.join(TMP, `${scenario}-gateway-data`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.mkdirSync(dataDir, { recursive: true });
  const p = spawnNode('dist/apps/broker-gateway/src/main.js', {
    label: 'gateway',
    cwd: root,
    nodeArgs: [...NODE_ARGS, ...nodeArgs],
    inspectable: true,
    env: {
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: '0',
      MQTT_WS_PORT: 'off',
      MQTT_TLS_PORT: 'off',
      GATEWAY_HTTP_PORT: '0',
      TRANSPORT_URL: admin.transportUrl,
      DATA_DIR: dataDir,
      ...env,
    },
  });
  const m = await p.waitFor(/listening on mqtt:\/\/[^:]+:(\d+)/, 60_000);
  const port = Number(m[1]);
  const tls =
    env.MQTT_TLS_PORT && env.MQTT_TLS_PORT !== 'off'
      ? await p.waitFor(/listening on mqtts:\/\/[^:]+:(\d+)/, 10_000)
      : null;
  return Object.assign(p, {
    mqttUrl: `mqtt://127.0.0.1:${port}`,
    port,
    ...(tls ? { tlsUrl: `mqtts://127.0.0.1:${tls[1]}` } : {}),
  });
}

export async function stopGatehouse(parts: {
  gateway?: Spawned;
  admin?: Spawned;
  db?: BenchDatabase;
}): Promise<void> {
  await stop(parts.gateway?.child);
  await stop(parts.admin?.child);
  if (parts.db)
    await parts.db
      .drop()
      .catch((e: Error) => log('cleanup', `could not drop ${parts.db?.name}: ${e.message}`));
}

// ---------------------------------------------------------------------------------------------------
// Admin REST API, as an operator uses it

export interface Permission {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
}

export class Rest {
  private constructor(
    readonly baseUrl: string,
    readonly token: string,
  ) {}

  static async login(baseUrl: string, username = ADMIN_USERNAME, password = ADMIN_PASSWORD): Promise<Rest> {
    const res = await fetch(`${baseUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const body = (await res.json()) as { token?: string };
    if (res.status !== 200 || !body.token)
      throw new Error(`login failed: ${res.status} ${JSON.stringify(body)}`);
    return new Rest(baseUrl, body.token);
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    expected = 200,
  ): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status !== expected)
      throw new Error(`${method} ${path}: expected ${expected}, got ${res.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  createUser(
    username: string,
    password: string,
    permissions: Permission[],
    roles: string[] = [],
  ): Promise<{ id: string; version: number }> {
    return this.call('POST', '/api/users', { username, password, permissions, roles }, 201);
  }
}
