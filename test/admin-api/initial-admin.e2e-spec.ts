/**
 * Issue 9, bootstrap admin (ASVS 6.4.1, ADR 0010), on a real admin-api whose database lives in DATA_DIR
 * (so that it survives a restart), real HTTP and a real MQTT client on a real gateway:
 * - a first start that fails after creating the admin (its HTTP port taken) leaves the generated
 *   password in DATA_DIR/initial-admin-password (0600); every later start names that file until the
 *   password is changed, and the change deletes it;
 * - a login with the generated password reaches only /api/me* (403 AUTH.PASSWORD_CHANGE_REQUIRED
 *   elsewhere) and gets CONNACK 5 on MQTT, until the password is changed;
 * - with ADMIN_PASSWORD none of this applies.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoggerService } from '@nestjs/common';
import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { type BrokerGateway, createBrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { connackCode, type Endpoint } from '../support/gateway/mqtt-helpers';
import { gatewayEnvFor } from '../support/gateway/stack';

jest.setTimeout(120_000);

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const PROBLEM = /application\/problem\+json/;
const NEW_PASSWORD = 'Chosen-Kq7#vRm2-x';

/** Keeps what the app logs, to check what an operator sees at the start. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(m: unknown) {
    this.lines.push(String(m));
  }
  warn(m: unknown) {
    this.lines.push(String(m));
  }
  error(m: unknown) {
    this.lines.push(String(m));
  }
}

async function takenPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('initial admin with a generated password (issue 9: ASVS 6.4.1, ADR 0010)', () => {
  let dataDir: string;
  let gatewayDir: string;
  let db: TestDatabase;
  let api: AdminApiHandle | undefined;
  let gateway: BrokerGateway | undefined;
  let generated: string;
  const file = () => join(dataDir, 'initial-admin-password');

  const env = (extra: Record<string, string> = {}) => ({
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    TRANSPORT_URL: 'tcp://127.0.0.1:0',
    DATA_DIR: dataDir,
    ...(db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : {}),
    ADMIN_USERNAME: 'admin',
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const start = async (logger = new CapturingLogger()) => {
    api = await createAdminApi(env(), { logger });
    return { api, http: request(api.httpUrl), logger };
  };
  const stop = async () => {
    await gateway?.close();
    gateway = undefined;
    await api?.close();
    api = undefined;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-initial-admin-'));
    gatewayDir = await mkdtemp(join(tmpdir(), 'gatehouse-initial-admin-gw-'));
    db = await createTestDatabase();
  });
  afterEach(stop);
  afterAll(async () => {
    await stop();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(gatewayDir, { recursive: true, force: true });
  });

  it('a first start that fails after creating the admin leaves the password in a 0600 file', async () => {
    const { server, port } = await takenPort();
    try {
      await expect(
        createAdminApi(env({ HTTP_PORT: String(port) }), { logger: new CapturingLogger() }),
      ).rejects.toThrow();
    } finally {
      server.close();
    }
    expect(existsSync(file())).toBe(true);
    expect((await stat(file())).mode & 0o777).toBe(0o600);
    generated = (await readFile(file(), 'utf8')).trim();
    expect(generated.length).toBeGreaterThanOrEqual(24);
  });

  it('the next start names the file (not the password), and the password logs in', async () => {
    const { api: a, http, logger } = await start();
    expect(a.generatedAdminPassword).toBeUndefined();
    expect(a.initialAdminPasswordFile).toBe(file());
    expect(logger.lines.some((l) => l.includes(file()) && l.includes('has not been changed'))).toBe(true);
    expect(logger.lines.some((l) => l.includes(generated))).toBe(false);
    await http.post('/api/login').send({ username: 'admin', password: generated }).expect(200);
  });

  it('until it is changed, its token reaches only /api/me*: elsewhere 403 AUTH.PASSWORD_CHANGE_REQUIRED', async () => {
    const { http } = await start();
    const token = (await http.post('/api/login').send({ username: 'admin', password: generated }).expect(200))
      .body.token as string;
    const me = await http.get('/api/me').set(bearer(token)).expect(200);
    expect(me.body.passwordChangeRequired).toBe(true);
    for (const [method, path] of [
      ['get', '/api/users'],
      ['get', `/api/users/${me.body.id}`],
      ['get', '/api/roles'],
      ['post', '/api/users'],
      ['post', '/api/client-registry/unlock'],
    ] as const) {
      const res = await http[method](path).set(bearer(token)).send({});
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('AUTH.PASSWORD_CHANGE_REQUIRED');
    }
  });

  it('until it is changed, MQTT refuses the account with CONNACK 5 (password or token)', async () => {
    const { api: a, http } = await start();
    gateway = await createBrokerGateway(gatewayEnvFor(a, gatewayDir));
    const e: Endpoint = { kind: 'tcp', port: gateway.ports.mqtt };
    expect(await connackCode(e, { username: 'admin', password: generated, reconnectPeriod: 0 })).toBe(5);
    const token = (await http.post('/api/login').send({ username: 'admin', password: generated }).expect(200))
      .body.token as string;
    expect(await connackCode(e, { username: 'admin', password: token, reconnectPeriod: 0 })).toBe(5);
  });

  it('PUT /api/me/password lifts the restriction, deletes the file, and MQTT accepts the new password', async () => {
    const { api: a, http } = await start();
    const first = (await http.post('/api/login').send({ username: 'admin', password: generated }).expect(200))
      .body.token as string;
    await http
      .put('/api/me/password')
      .set(bearer(first))
      .send({ currentPassword: generated, newPassword: NEW_PASSWORD })
      .expect(204);
    expect(existsSync(file())).toBe(false);
    await http.post('/api/login').send({ username: 'admin', password: generated }).expect(401);
    const token = (
      await http.post('/api/login').send({ username: 'admin', password: NEW_PASSWORD }).expect(200)
    ).body.token as string;
    await http.get('/api/users').set(bearer(token)).expect(200);
    expect((await http.get('/api/me').set(bearer(token)).expect(200)).body.passwordChangeRequired).toBe(
      false,
    );
    gateway = await createBrokerGateway(gatewayEnvFor(a, gatewayDir));
    const e: Endpoint = { kind: 'tcp', port: gateway.ports.mqtt };
    expect(await connackCode(e, { username: 'admin', password: NEW_PASSWORD, reconnectPeriod: 0 })).toBe(0);
  });

  it('later starts no longer mention an initial password', async () => {
    const { api: a, logger } = await start();
    expect(a.initialAdminPasswordFile).toBeUndefined();
    expect(logger.lines.some((l) => l.includes('initial-admin-password'))).toBe(false);
  });

  it('with ADMIN_PASSWORD none of this applies: no file, no restriction', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-initial-admin-given-'));
    const fresh = await createTestDatabase();
    const given = await createAdminApi(
      {
        ...env(),
        DATA_DIR: dir,
        ...(fresh.options.databaseUrl ? { DATABASE_URL: fresh.options.databaseUrl } : {}),
        ADMIN_PASSWORD: 'Operator-chosen-Kq7#',
      },
      { logger: new CapturingLogger() },
    );
    try {
      expect(given.initialAdminPasswordFile).toBeUndefined();
      expect(existsSync(join(dir, 'initial-admin-password'))).toBe(false);
      const http = request(given.httpUrl);
      const token = (
        await http
          .post('/api/login')
          .send({ username: 'admin', password: 'Operator-chosen-Kq7#' })
          .expect(200)
      ).body.token as string;
      await http.get('/api/users').set(bearer(token)).expect(200);
    } finally {
      await given.close();
      await fresh.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
