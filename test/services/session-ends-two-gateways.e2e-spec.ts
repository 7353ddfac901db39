/**
 * Issue 9 on two gateways (NATS transport, ADR 0011): logout and grant-type removal end the sessions
 * on EVERY gateway within a second, and neither gateway's verification cache admits the token again.
 * Runs only when TEST_NATS_URL is set (`.ci/run` sets it; see jest.config.js, project "services").
 */
import type { MqttClient } from 'mqtt';
import type { BrokerGateway } from '../../apps/broker-gateway/src/bootstrap';
import { closed, connackCode, connectClient } from '../support/gateway/mqtt-helpers';
import { type ScaleOutStack, startScaleOut, tcpOf as tcp } from '../support/gateway/scale-out';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const PASSWORD = 'Two-gateways-secret-1';
const BOTH = [
  { method: 'password' as const, isRequired: false },
  { method: 'token' as const, isRequired: false },
];

describe('NATS transport, two gateways: sessions end everywhere (ASVS 7.4.1, 7.4.3)', () => {
  let stack: ScaleOutStack;
  let gateways: BrokerGateway[];
  const open: MqttClient[] = [];

  const http = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const connectOnBoth = async (username: string, password: string): Promise<MqttClient[]> => {
    const clients = await Promise.all(gateways.map((g) => connectClient(tcp(g), { username, password })));
    open.push(...clients);
    return clients;
  };
  const allEndWithin = (clients: MqttClient[], ms: number): Promise<boolean> =>
    Promise.all(clients.map((c) => closed(c, ms))).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    stack = await startScaleOut(NATS_URL, ['gw-a', 'gw-b']);
    ({ gateways } = stack);
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('logout ends the token sessions on both gateways within 1 s; the token gets CONNACK 4 on both (inside the cache window)', async () => {
    await stack.rest.createUser({ username: 'two-gw-logout', password: PASSWORD, grantTypes: BOTH });
    const login = await http('POST', '/api/login', undefined, {
      username: 'two-gw-logout',
      password: PASSWORD,
    });
    const token = login.body.token as string;
    const byToken = await connectOnBoth('two-gw-logout', token);
    const byPassword = await connectOnBoth('two-gw-logout', PASSWORD);
    const ended = allEndWithin(byToken, 1000);
    expect((await http('POST', '/api/logout', token)).status).toBe(204);
    expect(await ended).toBe(true);
    for (const g of gateways)
      expect(await connackCode(tcp(g), { username: 'two-gw-logout', password: token })).toBe(4);
    expect(byPassword.every((c) => c.connected)).toBe(true);
  });

  it('removing the password grant ends the password sessions on both gateways within 1 s; token sessions stay', async () => {
    const user = await stack.rest.createUser({
      username: 'two-gw-grant',
      password: PASSWORD,
      grantTypes: BOTH,
    });
    const login = await http('POST', '/api/login', undefined, {
      username: 'two-gw-grant',
      password: PASSWORD,
      label: 'device',
    });
    const labelled = login.body.token as string;
    const byPassword = await connectOnBoth('two-gw-grant', PASSWORD);
    const byToken = await connectOnBoth('two-gw-grant', labelled);
    const ended = allEndWithin(byPassword, 1000);
    const current = await stack.rest.getUser(user.id);
    const adminToken = await stack.rest.loginAs('admin', 'Admin-password-1');
    const patched = await http('PATCH', `/api/users/${user.id}`, adminToken, {
      grantTypes: [{ method: 'token', isRequired: false }],
      version: current.version,
    });
    expect(patched.status).toBe(200);
    expect(await ended).toBe(true);
    expect(byToken.every((c) => c.connected)).toBe(true);
    for (const g of gateways)
      expect(await connackCode(tcp(g), { username: 'two-gw-grant', password: PASSWORD })).toBe(5);
  });
});
