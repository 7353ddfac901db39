/**
 * Failed-login counters in Redis (SPEC 2.1, ADR 0003): every admin-api and gateway given the same
 * `REDIS_URL` (and `RATE_LIMIT_REDIS_PREFIX`) shares them; a failure is counted once, however it came in.
 * Runs only when TEST_REDIS_URL is set (`.ci/run` sets it; jest.config.js, project "services"). A unique
 * key prefix per run keeps runs apart on the shared server.
 */
import { randomBytes } from 'node:crypto';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import { ADMIN_USERNAME, type GatewayStack, startGatewayStack } from '../support/gateway/stack';
import { connackFrom, loginFrom } from '../support/loopback';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PASSWORD = 'Shared-Passw0rd-42x';
const sharedEnv = (): Record<string, string> => ({
  REDIS_URL,
  RATE_LIMIT_REDIS_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
  LOGIN_FAILURES_PER_USERNAME: '12',
  LOGIN_FAILURES_PER_ADDRESS: '20',
});

describe('REDIS_URL: two admin-api instances share the failed-login counters', () => {
  let a: TestAdminApi;
  let b: TestAdminApi;

  beforeAll(async () => {
    const env = sharedEnv();
    a = await startTestAdminApi(env);
    b = await startTestAdminApi(env);
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('10 failures of a pair on one instance: the pair is refused on the other, the username elsewhere is not', async () => {
    for (let i = 0; i < 10; i++)
      expect((await loginFrom('127.0.0.2', a.api.httpUrl, 'roamer', `Wrong-${i}`)).status).toBe(401);
    const refused = await loginFrom('127.0.0.2', b.api.httpUrl, 'roamer', 'Wrong-x');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect((await loginFrom('127.0.0.3', b.api.httpUrl, 'roamer', 'Wrong-y')).status).toBe(401);
  });

  it('the username ceiling adds the failures of both instances', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await loginFrom('127.0.0.4', a.api.httpUrl, 'spread', `Wrong-${i}`)).status).toBe(401);
      expect((await loginFrom('127.0.0.5', b.api.httpUrl, 'spread', `Wrong-${i}`)).status).toBe(401);
    }
    expect((await loginFrom('127.0.0.6', a.api.httpUrl, 'spread', 'Wrong-z')).status).toBe(429);
  });
});

describe('REDIS_URL: a gateway reads the counters admin-api keeps', () => {
  let stack: GatewayStack;
  let port: number;

  beforeAll(async () => {
    const env = sharedEnv();
    stack = await startGatewayStack({ adminEnv: env, gatewayEnv: env });
    port = stack.gateway.ports.mqtt;
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
  }, 30_000);

  it('each failed CONNECT is counted once: 10 get CONNACK 4, the 11th attempt 5', async () => {
    await stack.rest.createUser({ username: 'counted-once', password: PASSWORD });
    for (let i = 0; i < 10; i++)
      expect(await connackFrom('127.0.0.7', port, { username: 'counted-once', password: `Wrong-${i}` })).toBe(
        4,
      );
    expect(await connackFrom('127.0.0.7', port, { username: 'counted-once', password: PASSWORD })).toBe(5);
    expect(await connackFrom('127.0.0.8', port, { username: 'counted-once', password: PASSWORD })).toBe(0);
  });

  it('an address over its ceiling (shared counter): a fresh username is refused, cached credentials get in', async () => {
    const victims = ['rs-0', 'rs-1', 'rs-2', 'rs-3', 'rs-4', 'rs-fresh', 'rs-cached'];
    for (const v of victims) await stack.rest.createUser({ username: v, password: PASSWORD });
    expect(await connackFrom('127.0.0.12', port, { username: 'rs-cached', password: PASSWORD })).toBe(0);
    for (const v of victims.slice(0, 5))
      for (let j = 0; j < 4; j++)
        expect((await loginFrom('127.0.0.11', stack.admin.httpUrl, v, `Common-pass-${j}`)).status).toBe(401);
    expect(await connackFrom('127.0.0.11', port, { username: 'rs-fresh', password: PASSWORD })).toBe(5);
    expect(await connackFrom('127.0.0.11', port, { username: 'rs-cached', password: PASSWORD })).toBe(0);
  });

  it('failed HTTP logins block the pair on MQTT, decided by the gateway itself (admin-api stopped)', async () => {
    await stack.rest.createUser({ username: 'http-guessed', password: PASSWORD });
    for (let i = 0; i < 10; i++)
      expect((await loginFrom('127.0.0.9', stack.admin.httpUrl, 'http-guessed', `Wrong-${i}`)).status).toBe(
        401,
      );
    await stack.stopAdminApi();
    // Asking admin-api would give 3 (unreachable); the gateway read the shared counter: 5.
    expect(await connackFrom('127.0.0.9', port, { username: 'http-guessed', password: PASSWORD })).toBe(5);
    expect(await connackFrom('127.0.0.10', port, { username: ADMIN_USERNAME, password: 'x' })).toBe(3);
  });
});
