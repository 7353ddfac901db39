/**
 * Issue 9 (ASVS 6.2.4, 6.2.11; ADR 0009): the MQTT registration flow applies the password rules too.
 * A device that CONNECTs with an unknown username while the registry is unlocked is recorded only if
 * its password would be accepted for that username; otherwise the CONNECT is bad credentials (CONNACK
 * 4) and nothing is recorded. Real gateway, real admin-api, real mqtt client.
 */
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import { connackCode, type Endpoint } from '../support/gateway/mqtt-helpers';

jest.setTimeout(60_000);

describe('client registry, MQTT flow: password rules (issue 9)', () => {
  let stack: GatewayStack;
  let tcp: Endpoint;
  let token: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as { items: { username: string }[] } };
  };
  const pending = async () =>
    (await api('GET', '/api/client-registry/requests?state=pending')).body.items.map((r) => r.username);

  beforeAll(async () => {
    stack = await startGatewayStack();
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    const login = await fetch(`${stack.admin.httpUrl}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }),
    });
    token = ((await login.json()) as { token: string }).token;
    expect((await api('POST', '/api/client-registry/unlock', {})).status).toBe(200);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each([
    ['meter-41', 'password123', 'a common password'],
    ['meter-42', 'METER-42', 'the username'],
    ['meter-43', 'meter-43-meter-43', 'the username, twice'],
    ['meter-44', 'gatehouse1', 'the product name'],
  ])('%s with %j (%s): CONNACK 4 and no request recorded', async (username, password) => {
    expect(await connackCode(tcp, { username, password, reconnectPeriod: 0 })).toBe(4);
    expect(await pending()).not.toContain(username);
  });

  it('a good password is recorded as before (CONNACK 5, pending)', async () => {
    expect(
      await connackCode(tcp, { username: 'meter-45', password: 'meter-45-Kq7#vRm2', reconnectPeriod: 0 }),
    ).toBe(5);
    expect(await pending()).toContain('meter-45');
  });
});
