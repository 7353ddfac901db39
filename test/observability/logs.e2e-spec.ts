/**
 * Structured logs (SPEC 6, issue 10 "Metrics and logs"): both apps at `debug`, their JSON lines
 * captured, through a scenario that handles every kind of secret (logins, a user created with a
 * password, a labelled token, MQTT CONNECTs with the password and with the token, a refused password,
 * a registration with a device password). No line holds a password, a token (nor its signature), the
 * token-signing key, the gateway's TLS key or the CA key passphrase. Each HTTP request's lines carry its
 * request id, each MQTT client's lines its connection id, and a client id made to forge a log line stays
 * inside its own.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { MqttClient } from 'mqtt';
import { DataSource } from 'typeorm';
import { createAppLogger } from '@gatehouse/contracts';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { type BrokerGateway, createBrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { type Endpoint, connackCode, connectClient } from '../support/gateway/mqtt-helpers';
import { adminEnvFor, gatewayEnvFor } from '../support/gateway/stack';
import { removeDir, tempDir } from '../client-registry/openssl';

jest.setTimeout(60_000);

const ADMIN_PASSWORD = 'Logs-admin-passw0rd-5e1';
const CA_KEY_PASSPHRASE = 'ca-passphrase-for-the-log-test-8d2c';
const USER_PASSWORD = 'Logs-user-passw0rd-a41';
const WRONG_PASSWORD = 'Wrong-guess-passw0rd-77';
const DEVICE_PASSWORD = 'Device-registration-passw0rd-3b';
const USERNAME = 'log-probe';

type Entry = Record<string, unknown> & { msg?: string };

describe('structured logs: no secrets, request and connection ids (SPEC 6)', () => {
  let db: TestDatabase;
  let admin: AdminApiHandle;
  let gateway: BrokerGateway;
  let dir: string;
  let tcp: Endpoint;
  const chunks: string[] = [];
  const secrets: Record<string, string> = {
    ADMIN_PASSWORD,
    CA_KEY_PASSPHRASE,
    USER_PASSWORD,
    WRONG_PASSWORD,
    DEVICE_PASSWORD,
  };
  const open: MqttClient[] = [];
  const lines = (): string[] =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '');
  const entries = (): Entry[] => lines().map((l) => JSON.parse(l) as Entry);

  const http = async (method: string, path: string, token?: string, body?: unknown, requestId?: string) => {
    const res = await fetch(`${admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      requestId: res.headers.get('x-request-id'),
      body: text ? JSON.parse(text) : {},
    };
  };

  beforeAll(async () => {
    const capture = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString('utf8'));
        done();
      },
    });
    dir = await tempDir();
    db = await createTestDatabase();
    admin = await createAdminApi(
      { ...adminEnvFor(db, 'tcp://127.0.0.1:0'), ADMIN_PASSWORD, CA_KEY_PASSPHRASE, LOG_LEVEL: 'debug' },
      { logger: createAppLogger('admin-api', 'debug', capture) },
    );
    gateway = await createBrokerGateway(gatewayEnvFor(admin, dir, { LOG_LEVEL: 'debug' }), {
      logger: createAppLogger('broker-gateway', 'debug', capture),
    });
    tcp = { kind: 'tcp', port: gateway.ports.mqtt };

    // the scenario
    const login = await http('POST', '/api/login', undefined, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    expect(login.status).toBe(200);
    const adminToken = login.body.token as string;
    secrets.ADMIN_TOKEN = adminToken;
    const created = await http('POST', '/api/users', adminToken, {
      username: USERNAME,
      password: USER_PASSWORD,
      roles: [],
      permissions: [{ context: 'mqtt', resource: 'logs/#', operation: 'readWrite' }],
      grantTypes: [
        { method: 'password', isRequired: false },
        { method: 'token', isRequired: false },
      ],
    });
    expect(created.status).toBe(201);
    const labelled = await http('POST', '/api/login', undefined, {
      username: USERNAME,
      password: USER_PASSWORD,
      label: 'log-test',
    });
    expect(labelled.status).toBe(200);
    secrets.LABELLED_TOKEN = labelled.body.token as string;
    expect(
      (await http('POST', '/api/login', undefined, { username: USERNAME, password: WRONG_PASSWORD })).status,
    ).toBe(401);
    const withPassword = await connectClient(tcp, { username: USERNAME, password: USER_PASSWORD });
    open.push(withPassword);
    await withPassword.publishAsync('logs/a', 'x', { qos: 1 });
    const withToken = await connectClient(tcp, { username: USERNAME, password: secrets.LABELLED_TOKEN });
    open.push(withToken);
    expect(await connackCode(tcp, { username: USERNAME, password: WRONG_PASSWORD })).toBe(4);
    expect((await http('POST', '/api/client-registry/unlock', adminToken, {})).status).toBe(200);
    const reg = await http('POST', '/api/client-registry/register', undefined, {
      username: 'log-device',
      password: DEVICE_PASSWORD,
    });
    expect(reg.status).toBe(202);

    for (const name of ['ADMIN_TOKEN', 'LABELLED_TOKEN'])
      secrets[`${name}_SIGNATURE`] = secrets[name].split('.').pop() as string;
    const keys: { d: string }[] = await admin.app
      .get(DataSource)
      .query(`SELECT private_jwk->>'d' AS d FROM signing_keys`);
    keys.forEach((k, i) => (secrets[`SIGNING_KEY_D_${i}`] = k.d));
    const tlsKey = await readFile(join(dir, 'tls', 'broker-gateway.key'), 'utf8');
    // the base64 body of the PEM, line by line (a line is 64 characters of the key)
    tlsKey
      .split('\n')
      .filter((l) => l.length >= 40 && !l.startsWith('-----'))
      .forEach((l, i) => (secrets[`TLS_KEY_LINE_${i}`] = l));
  });

  afterAll(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
    await gateway?.close();
    await admin?.close();
    await db?.drop();
    if (dir) await removeDir(dir);
  });

  it("the capture holds admin-api's request lines and the gateway's CONNECT lines (so the next check means something)", () => {
    const all = entries();
    expect(all.length).toBeGreaterThan(20);
    expect(all.some((e) => e.msg === 'POST /api/login 200' && typeof e.requestId === 'string')).toBe(true);
    expect(all.some((e) => e.msg === 'POST /api/users 201')).toBe(true);
    expect(all.some((e) => e.msg === 'POST /api/login 401')).toBe(true);
    expect(all.some((e) => /authenticated as user "log-probe" by password/.test(e.msg ?? ''))).toBe(true);
    expect(all.some((e) => /authenticated as user "log-probe" by token/.test(e.msg ?? ''))).toBe(true);
    expect(all.some((e) => /^CONNECT refused \(4\)/.test(e.msg ?? ''))).toBe(true);
  });

  it('no line holds a password, a token, a token signature or a generated key', () => {
    expect(Object.keys(secrets).length).toBeGreaterThan(10);
    const text = lines().join('\n');
    const found = Object.entries(secrets)
      .filter(([, value]) => text.includes(value))
      .map(([name]) => name);
    expect(found).toEqual([]);
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(text).not.toMatch(/\$argon2/);
  });

  it('every line of one HTTP request carries its request id (the incoming X-Request-Id kept)', async () => {
    const res = await http('GET', '/api/users', 'not-a-token', undefined, 'trace-4711');
    expect(res.status).toBe(401);
    expect(res.requestId).toBe('trace-4711');
    const mine = entries().filter((e) => e.requestId === 'trace-4711');
    expect(mine.map((e) => e.msg)).toEqual(['GET /api/users', 'GET /api/users 401']);
    expect(mine[1]).toMatchObject({ method: 'GET', route: '/api/users', status: 401 });
    // another request, another id
    const other = await http('GET', '/api/users', 'not-a-token');
    expect(other.requestId).not.toBe('trace-4711');
    expect(entries().filter((e) => e.requestId === other.requestId)).toHaveLength(2);
  });

  it('every line about an MQTT client carries its connection id, and the ids differ per connection', () => {
    const about = entries().filter((e) =>
      /^CONNECT refused|authenticated as user "log-probe"/.test(e.msg ?? ''),
    );
    expect(about.length).toBeGreaterThanOrEqual(3);
    for (const e of about) expect(typeof e.connectionId).toBe('string');
    expect(new Set(about.map((e) => e.connectionId)).size).toBe(about.length);
    // the connection line (peer address) has the same id as the CONNECT lines of that connection
    const accepted = entries().filter((e) => /^mqtt connection from /.test(e.msg ?? ''));
    for (const e of about) expect(accepted.some((a) => a.connectionId === e.connectionId)).toBe(true);
  });

  it('a client id and a username with a newline, a forged entry and ANSI escapes stay inside their line', async () => {
    const forged = 'evil\n{"level":"fatal","msg":"forged"}\u001b[31m';
    const before = lines().length;
    expect(
      await connackCode(tcp, { clientId: forged, username: `${forged}user`, password: WRONG_PASSWORD }),
    ).toBe(4);
    const added = lines().slice(before);
    // eslint-disable-next-line no-control-regex -- the point: no raw control character in a line
    for (const l of added) expect(l).not.toMatch(/[\u0000-\u001f]/);
    const parsed = added.map((l) => JSON.parse(l) as Entry);
    expect(parsed.some((e) => e.msg === 'forged')).toBe(false);
    expect(parsed.some((e) => (e.msg ?? '').includes(JSON.stringify(forged)))).toBe(true);
  });
});
