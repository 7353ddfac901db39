/**
 * Issue 9 (ASVS 7.4.1, 7.3.2): logout and token revocation end the MQTT sessions that logged in with
 * that token at once (not after the gateway's 60 s verification cache), and a session that logged in
 * with an expiring token is closed when the token expires.
 */
import { readFile } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { DataSource } from 'typeorm';
import { TokenService, UserService } from '@gatehouse/identity';
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { type Endpoint, closed, connackCode, connectClient } from '../support/gateway/mqtt-helpers';
import { opensslCsr, removeDir, tempDir } from '../client-registry/openssl';

jest.setTimeout(30_000);

const PASSWORD = 'Device-password-1';
const PASSWORD_AND_TOKEN = [
  { method: 'password', isRequired: false },
  { method: 'token', isRequired: false },
];

describe('broker gateway: sessions end with their token (ASVS 7.4.1, 7.3.2)', () => {
  let stack: GatewayStack;
  let e: Endpoint;
  const open: MqttClient[] = [];
  const track = (c: MqttClient): MqttClient => {
    open.push(c);
    return c;
  };

  const http = async (
    method: string,
    path: string,
    token: string | undefined,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };

  const login = async (username: string, label?: string): Promise<{ token: string; tokenId: string }> => {
    const res = await http('POST', '/api/login', undefined, {
      username,
      password: PASSWORD,
      ...(label ? { label } : {}),
    });
    expect(res.status).toBe(200);
    return { token: res.body.token as string, tokenId: res.body.tokenId as string };
  };

  /** A user holding the `password` and `token` grants (a token works as its MQTT password). */
  const tokenUser = async (username: string): Promise<string> => {
    const users = stack.admin.app.get(UserService);
    const user = await users.create({
      username,
      password: PASSWORD,
      grantTypes: PASSWORD_AND_TOKEN as never,
      roles: [],
      permissions: [],
    });
    return user.id;
  };

  beforeAll(async () => {
    stack = await startGatewayStack();
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  it('an mTLS session is closed at the notAfter registered for its certificate (ASVS 7.3.2)', async () => {
    const dir = await tempDir('gatehouse-expiry-');
    try {
      const userId = await tokenUser('expiring-cert');
      const device = await opensslCsr(dir, 'expiring-cert');
      const adminToken = await stack.rest.loginAs('admin', 'Admin-password-1');
      const issued = await http('POST', `/api/users/${userId}/certificates`, adminToken, { csr: device.csr });
      expect(issued.status).toBe(201);
      // the registered validity ends in 2 s (the CA issues for days; the row is what the gateway is told)
      const notAfter = new Date(Date.now() + 2000);
      await stack.admin.app
        .get(DataSource)
        .query(`UPDATE user_certificates SET not_after = $2 WHERE fingerprint = $1`, [
          issued.body.fingerprint,
          notAfter,
        ]);
      const tls: Endpoint = {
        kind: 'tls',
        port: stack.gateway.ports.tls as number,
        ca: await readFile(`${stack.dataDir}/tls/broker-gateway.crt`),
      };
      const key = await readFile(device.keyFile);
      const cert = Buffer.from(issued.body.certificate as string);
      const mtls = track(await connectClient(tls, { key, cert }));
      await closed(mtls, 4000);
      const lateBy = Date.now() - notAfter.getTime();
      expect(lateBy).toBeGreaterThanOrEqual(-50);
      expect(lateBy).toBeLessThan(1000);
      expect(await connackCode(tls, { key, cert })).toBe(4);
    } finally {
      await removeDir(dir);
    }
  });

  it('POST /api/logout ends the MQTT session that logged in with that token within 1 s; a new CONNECT with it gets CONNACK 4 (inside the cache window); other sessions stay', async () => {
    await tokenUser('logout-device');
    const { token } = await login('logout-device');
    const other = await login('logout-device');
    const byToken = track(await connectClient(e, { username: 'logout-device', password: token }));
    const byOther = track(await connectClient(e, { username: 'logout-device', password: other.token }));
    const byPassword = track(await connectClient(e, { username: 'logout-device', password: PASSWORD }));
    const gone = closed(byToken, 1500).then(
      () => true,
      () => false,
    );
    expect((await http('POST', '/api/logout', token)).status).toBe(204);
    const observed = {
      sessionEndedWithin1s: await gone,
      newConnect: await connackCode(e, { username: 'logout-device', password: token }),
      http: (await http('GET', '/api/me', token)).status,
    };
    expect(observed).toEqual({ sessionEndedWithin1s: true, newConnect: 4, http: 401 });
    expect(byOther.connected).toBe(true);
    expect(byPassword.connected).toBe(true);
  });

  it('DELETE /api/users/{id}/tokens/{tokenId} ends the sessions on that token within 1 s and a new CONNECT with it gets CONNACK 4 (inside the cache window)', async () => {
    const userId = await tokenUser('revoke-device');
    const { token, tokenId } = await login('revoke-device', 'mqtt');
    const byToken = track(await connectClient(e, { username: 'revoke-device', password: token }));
    const byPassword = track(await connectClient(e, { username: 'revoke-device', password: PASSWORD }));
    const gone = closed(byToken, 1500).then(
      () => true,
      () => false,
    );
    await stack.rest.revokeToken(userId, tokenId);
    const observed = {
      sessionEndedWithin1s: await gone,
      newConnect: await connackCode(e, { username: 'revoke-device', password: token }),
    };
    expect(observed).toEqual({ sessionEndedWithin1s: true, newConnect: 4 });
    expect(byPassword.connected).toBe(true);
  });

  it('a session that logged in with an expiring token is closed when the token expires; a password session stays', async () => {
    const userId = await tokenUser('expiring-device');
    // 2 s token, issued as POST /api/login would (the HTTP minimum is 0.01 h)
    const { token, expiresAt } = await stack.admin.app
      .get(TokenService)
      .issue(userId, { expireTimeInHours: 2 / 3600 });
    const byToken = track(await connectClient(e, { username: 'expiring-device', password: token }));
    const byPassword = track(await connectClient(e, { username: 'expiring-device', password: PASSWORD }));
    await closed(byToken, 4000);
    const lateBy = Date.now() - expiresAt.getTime();
    expect(lateBy).toBeGreaterThanOrEqual(-50);
    expect(lateBy).toBeLessThan(1000);
    expect(byPassword.connected).toBe(true);
    expect(await connackCode(e, { username: 'expiring-device', password: token })).toBe(4);
  });
});
