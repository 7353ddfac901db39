/**
 * MQTT for people with MFA (SPEC 2.1, 3; ADR 0020), real mqtt clients on a real gateway: once a user
 * is enrolled, its password alone gets CONNACK 4 (bad credentials) and a long-lived token from an MFA
 * login is the way in; enrolling ends the sessions opened by the password; a user who must enrol first
 * gets CONNACK 5 (not authorized) until it has.
 */
import { Secret, TOTP } from 'otpauth';
import {
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  type GatewayStack,
  startGatewayStack,
} from '../support/gateway/stack';
import { type Endpoint, closed, connackCode, connectClient } from '../support/gateway/mqtt-helpers';

jest.setTimeout(30_000);

const PASSWORD = 'Person-passw0rd-1';
const GRANTS = [
  { method: 'password' as const, isRequired: false },
  { method: 'token' as const, isRequired: false },
];
const totp = (secret: string, offsetSteps = 0): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSteps * 30_000 });

describe('broker gateway: CONNECT of users with MFA', () => {
  let stack: GatewayStack;
  let e: Endpoint;

  beforeAll(async () => {
    stack = await startGatewayStack();
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  async function http(method: string, path: string, token: string | null, body?: unknown) {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  }
  const loginAs = (username: string, extra: Record<string, unknown> = {}) =>
    http('POST', '/api/login', null, { username, password: PASSWORD, ...extra });

  it('enrolled (MQTT 3.1.1 §3.2.2.3, 4 = bad user name or password): the bare password → CONNACK 4, a labelled token from an MFA login → accepted', async () => {
    const username = 'mfa-person';
    await stack.rest.createUser({
      username,
      password: PASSWORD,
      grantTypes: GRANTS,
      permissions: [{ context: 'mqtt', resource: 'people/#', operation: 'readWrite' }],
    });
    const byPassword = await connectClient(e, { username, password: PASSWORD });
    const session = (await loginAs(username)).body.token as string;
    const secret = (await http('POST', '/api/me/mfa', session)).body.secret as string;
    const gone = closed(byPassword, 3000);
    expect((await http('POST', '/api/me/mfa/confirm', session, { otp: totp(secret) })).status).toBe(200);
    // enrolling ends the session the password alone had opened (within the gateway's change delay)
    await gone;
    expect(await connackCode(e, { username, password: PASSWORD })).toBe(4);
    const labelled = await loginAs(username, { otp: totp(secret, 1), label: 'plc-dashboard' });
    expect(labelled.status).toBe(200);
    const byToken = await connectClient(e, { username, password: labelled.body.token as string });
    expect(byToken.connected).toBe(true);
    await byToken.endAsync();
    // still 4 for the password, also right after the token worked (nothing cached opens it)
    expect(await connackCode(e, { username, password: PASSWORD })).toBe(4);
  });

  it('an administrator’s reset lets the password in again (and ends the token)', async () => {
    const username = 'mfa-reset';
    const user = await stack.rest.createUser({ username, password: PASSWORD, grantTypes: GRANTS });
    const session = (await loginAs(username)).body.token as string;
    const secret = (await http('POST', '/api/me/mfa', session)).body.secret as string;
    await http('POST', '/api/me/mfa/confirm', session, { otp: totp(secret) });
    const token = (await loginAs(username, { otp: totp(secret, 1), label: 'x' })).body.token as string;
    expect(await connackCode(e, { username, password: PASSWORD })).toBe(4);
    const admin = (
      await http('POST', '/api/login', null, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD })
    ).body.token as string;
    expect((await http('DELETE', `/api/users/${user.id}/mfa`, admin)).status).toBe(204);
    expect(await connackCode(e, { username, password: token })).toBe(4);
    expect(await connackCode(e, { username, password: PASSWORD })).toBe(0);
  });

  it('enforceMFAEnrollment without enrolment → CONNACK 5 by password, 0 once enrolled and with a token', async () => {
    const username = 'mfa-enforced';
    const user = await stack.rest.createUser({ username, password: PASSWORD, grantTypes: GRANTS });
    const admin = (
      await http('POST', '/api/login', null, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD })
    ).body.token as string;
    const current = await stack.rest.getUser(user.id);
    expect(
      (
        await http('PATCH', `/api/users/${user.id}`, admin, {
          enforceMFAEnrollment: true,
          version: current.version,
        })
      ).status,
    ).toBe(200);
    expect(await connackCode(e, { username, password: PASSWORD })).toBe(5);
    const session = (await loginAs(username)).body.token as string;
    const secret = (await http('POST', '/api/me/mfa', session)).body.secret as string;
    await http('POST', '/api/me/mfa/confirm', session, { otp: totp(secret) });
    const token = (await loginAs(username, { otp: totp(secret, 1), label: 'x' })).body.token as string;
    expect(await connackCode(e, { username, password: PASSWORD })).toBe(4);
    expect(await connackCode(e, { username, password: token })).toBe(0);
  });
});
