/**
 * Issue 9 (ASVS 6.3.3, 6.3.4, 7.4.3; ADR 0011): grant types are enforced on every way in (HTTP
 * password login, bearer tokens, MQTT password, MQTT token as password, mTLS certificate), every
 * `isRequired` grant must be presented, and removing a grant applies live like any revocation.
 */
import { readFile } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import { type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { type Endpoint, closed, connackCode, connectClient } from '../support/gateway/mqtt-helpers';
import { opensslCsr, removeDir, tempDir } from '../client-registry/openssl';

jest.setTimeout(60_000);

const PASSWORD = 'Device-password-1';
type Grant = { method: 'password' | 'token' | 'certificate'; isRequired: boolean };
const g = (method: Grant['method'], isRequired = false): Grant => ({ method, isRequired });

describe('grant types on every way in (ADR 0011)', () => {
  let stack: GatewayStack;
  let tcp: Endpoint;
  let tls: Endpoint;
  let adminToken: string;
  let dir: string;
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
  const api = (method: string, path: string, body?: unknown) => http(method, path, adminToken, body);

  const createUser = async (username: string, grantTypes: Grant[]): Promise<string> => {
    const res = await api('POST', '/api/users', {
      username,
      password: PASSWORD,
      grantTypes,
      roles: [],
      permissions: [],
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const setGrants = async (userId: string, grantTypes: Grant[]): Promise<void> => {
    const current = await api('GET', `/api/users/${userId}`);
    const applied = stack.changeApplied(userId);
    const res = await api('PATCH', `/api/users/${userId}`, { grantTypes, version: current.body.version });
    expect(res.status).toBe(200);
    await applied;
  };
  const login = async (username: string, label?: string) =>
    http('POST', '/api/login', undefined, { username, password: PASSWORD, ...(label ? { label } : {}) });
  const tokenOf = async (username: string, label?: string): Promise<string> => {
    const res = await login(username, label);
    expect(res.status).toBe(200);
    return res.body.token as string;
  };
  /** Issues a client certificate for the user (CSR made by openssl); returns key and certificate. */
  const certificateFor = async (userId: string, username: string): Promise<{ key: Buffer; cert: Buffer }> => {
    const device = await opensslCsr(dir, username);
    const res = await api('POST', `/api/users/${userId}/certificates`, { csr: device.csr });
    expect(res.status).toBe(201);
    return { key: await readFile(device.keyFile), cert: Buffer.from(res.body.certificate as string) };
  };
  /** Resolves true when the client's connection closes within `ms`. */
  const endsWithin = (c: MqttClient, ms: number): Promise<boolean> =>
    closed(c, ms).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    stack = await startGatewayStack();
    tcp = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    const serverCa = await readFile(`${stack.dataDir}/tls/broker-gateway.crt`);
    tls = { kind: 'tls', port: stack.gateway.ports.tls as number, ca: serverCa };
    adminToken = await stack.rest.loginAs('admin', 'Admin-password-1');
    dir = await tempDir('gatehouse-grants-');
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await stack?.close();
    await removeDir(dir);
  }, 30_000);

  it('a token as the MQTT password needs the token grant: without it CONNACK 5, with it 0 [ASVS 6.3.4]', async () => {
    await createUser('no-token-grant', [g('password')]);
    const token = await tokenOf('no-token-grant');
    expect(await connackCode(tcp, { username: 'no-token-grant', password: token })).toBe(5);
    expect(await connackCode(tcp, { username: 'no-token-grant', password: PASSWORD })).toBe(0);
    await createUser('with-token-grant', [g('password'), g('token')]);
    const ok = await tokenOf('with-token-grant');
    expect(await connackCode(tcp, { username: 'with-token-grant', password: ok })).toBe(0);
  });

  it('a labelled (long-lived) token needs the token grant: 403 problem+json without it', async () => {
    await createUser('label-no-grant', [g('password')]);
    const res = await login('label-no-grant', 'ci');
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('IDENTITY.GRANT_REQUIRED');
    await createUser('label-grant', [g('password'), g('token')]);
    expect((await login('label-grant', 'ci')).status).toBe(200);
  });

  it('password isRequired beside token: login tokens work on HTTP; a labelled token (it proves token only) is refused 403; a token as the MQTT password → CONNACK 5', async () => {
    await createUser('password-required', [g('password', true), g('token')]);
    const loginToken = await tokenOf('password-required');
    expect((await http('GET', '/api/me', loginToken)).status).toBe(200);
    const labelled = await login('password-required', 'ci');
    expect(labelled.status).toBe(403);
    expect(labelled.body.code).toBe('IDENTITY.GRANT_REQUIRED');
    expect(await connackCode(tcp, { username: 'password-required', password: loginToken })).toBe(5);
    expect(await connackCode(tcp, { username: 'password-required', password: PASSWORD })).toBe(0);
  });

  it('a user without the password grant cannot log in with a password (HTTP 401, MQTT CONNACK 5)', async () => {
    const id = await createUser('token-only', [g('password'), g('token')]);
    const labelled = await tokenOf('token-only', 'device');
    await setGrants(id, [g('token')]);
    expect((await login('token-only')).status).toBe(401);
    expect(await connackCode(tcp, { username: 'token-only', password: PASSWORD })).toBe(5);
    // the labelled token is a `token` credential: it keeps working on HTTP and MQTT
    expect((await http('GET', '/api/me', labelled)).status).toBe(200);
    expect(await connackCode(tcp, { username: 'token-only', password: labelled })).toBe(0);
  });

  it('removing password ends the password sessions and login tokens within 1 s; removing token ends token sessions and labelled tokens; others stay [ASVS 7.4.3]', async () => {
    const id = await createUser('grant-removal', [g('password'), g('token')]);
    const loginToken = await tokenOf('grant-removal');
    const labelled = await tokenOf('grant-removal', 'api');
    const byPassword = track(await connectClient(tcp, { username: 'grant-removal', password: PASSWORD }));
    const byLabelled = track(await connectClient(tcp, { username: 'grant-removal', password: labelled }));
    const passwordEnds = endsWithin(byPassword, 1000);
    await setGrants(id, [g('token')]);
    expect(await passwordEnds).toBe(true);
    expect((await http('GET', '/api/me', loginToken)).status).toBe(401);
    expect((await http('GET', '/api/me', labelled)).status).toBe(200);
    expect(byLabelled.connected).toBe(true);

    const tokenEnds = endsWithin(byLabelled, 1000);
    await setGrants(id, [g('password'), g('token')]);
    expect(byLabelled.connected).toBe(true); // adding a grant ends nothing
    // tokens revoked by a removal stay revoked when the grant comes back
    expect((await http('GET', '/api/me', loginToken)).status).toBe(401);
    await setGrants(id, [g('password')]);
    expect(await tokenEnds).toBe(true);
    expect((await http('GET', '/api/me', labelled)).status).toBe(401);
    expect(await connackCode(tcp, { username: 'grant-removal', password: labelled })).toBe(4);
    expect(await connackCode(tcp, { username: 'grant-removal', password: PASSWORD })).toBe(0);
  });

  it('an MQTT session on a login token ends when the password grant goes (the login token is revoked with it), a labelled-token session stays', async () => {
    const id = await createUser('login-token-session', [g('password'), g('token')]);
    const loginToken = await tokenOf('login-token-session');
    const labelled = await tokenOf('login-token-session', 'device');
    const byLoginToken = track(
      await connectClient(tcp, { username: 'login-token-session', password: loginToken }),
    );
    const byLabelled = track(
      await connectClient(tcp, { username: 'login-token-session', password: labelled }),
    );
    const ends = endsWithin(byLoginToken, 1000);
    await setGrants(id, [g('token')]);
    expect(await ends).toBe(true);
    expect(byLabelled.connected).toBe(true);
    expect(await connackCode(tcp, { username: 'login-token-session', password: loginToken })).toBe(4);
  });

  it('certificate AND password both isRequired: certificate alone or password alone → CONNACK 5, both → 0, a wrong password with the certificate → 4; HTTP login → 401 [ASVS 6.3.3]', async () => {
    const id = await createUser('two-factor-device', [g('password')]);
    const { key, cert } = await certificateFor(id, 'two-factor-device');
    expect(await connackCode(tls, { key, cert })).toBe(0); // certificate grant added, not required
    const certOnly = track(await connectClient(tls, { key, cert }));
    const certOnlyEnds = endsWithin(certOnly, 1000);
    await setGrants(id, [g('password', true), g('certificate', true)]);
    // the live certificate-only session no longer satisfies the grant types
    expect(await certOnlyEnds).toBe(true);
    expect(await connackCode(tls, { key, cert })).toBe(5);
    expect(await connackCode(tcp, { username: 'two-factor-device', password: PASSWORD })).toBe(5);
    expect(await connackCode(tls, { username: 'two-factor-device', password: PASSWORD })).toBe(5);
    expect(await connackCode(tls, { key, cert, username: 'two-factor-device', password: PASSWORD })).toBe(0);
    expect(
      await connackCode(tls, { key, cert, username: 'two-factor-device', password: 'Wrong-password-1' }),
    ).toBe(4);
    expect((await login('two-factor-device')).status).toBe(401);
  });

  it('removing the certificate grant ends the live mTLS session within 1 s and refuses the next one (CONNACK 5)', async () => {
    const id = await createUser('cert-removal', [g('password')]);
    const { key, cert } = await certificateFor(id, 'cert-removal');
    const mtls = track(await connectClient(tls, { key, cert }));
    const byPassword = track(await connectClient(tcp, { username: 'cert-removal', password: PASSWORD }));
    const ends = endsWithin(mtls, 1000);
    await setGrants(id, [g('password')]);
    expect(await ends).toBe(true);
    expect(byPassword.connected).toBe(true);
    expect(await connackCode(tls, { key, cert })).toBe(5);
  });
});
