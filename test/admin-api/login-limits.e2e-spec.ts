/**
 * Issue 9, defect 9 (SPEC 2.1, ADR 0003): failed logins are limited per (username, client address), with
 * a per-username ceiling over all addresses and a per-address ceiling that a spray of unknown usernames
 * cannot trip. Each client address is a loopback address the request is bound to (127.0.0.0/8).
 */
import { randomUUID } from 'node:crypto';
import { ADMIN_PASSWORD, startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import { loginFrom } from '../support/loopback';

const PASSWORD = 'Limits-Passw0rd-42x';

describe('failed-login limits per (username, address) over HTTP', () => {
  let t: TestAdminApi;
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi({
      LOGIN_FAILURES_PER_USERNAME: '12',
      LOGIN_FAILURES_PER_ADDRESS: '20',
    });
    admin = await t.adminToken();
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  const createUser = async (username: string): Promise<void> => {
    await t.http
      .post('/api/users')
      .set({ authorization: `Bearer ${admin}` })
      .send({ username, password: PASSWORD, roles: [], permissions: [] })
      .expect(201);
  };
  const url = (): string => t.api.httpUrl;

  it('10 failures for alice from 127.0.0.2 leave her able to log in from 127.0.0.3; the pair gets 429 with Retry-After', async () => {
    await createUser('alice');
    for (let i = 0; i < 10; i++)
      expect((await loginFrom('127.0.0.2', url(), 'alice', `Wrong-guess-${i}`)).status).toBe(401);
    expect((await loginFrom('127.0.0.3', url(), 'alice', PASSWORD)).status).toBe(200);
    const blocked = await loginFrom('127.0.0.2', url(), 'alice', PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('IDENTITY.RATE_LIMITED');
    expect(String(blocked.headers['content-type'])).toContain('application/problem+json');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(t.leaks).toEqual([]);
  });

  it('the per-username ceiling (LOGIN_FAILURES_PER_USERNAME=12) trips after failures spread over addresses', async () => {
    await createUser('bob');
    for (const addr of ['127.0.0.4', '127.0.0.5', '127.0.0.6'])
      for (let j = 0; j < 4; j++)
        expect((await loginFrom(addr, url(), 'bob', `Wrong-${addr}-${j}`)).status).toBe(401);
    // 12 spread failures, none of the pairs over 10: bob is now refused from everywhere (distributed guessing).
    const res = await loginFrom('127.0.0.7', url(), 'bob', PASSWORD);
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a spray of random usernames from one address locks out neither the admin nor a user created afterwards there', async () => {
    const spray = Array.from({ length: 101 }, () => `fuzz-${randomUUID()}`);
    for (let i = 0; i < spray.length; i += 8)
      await Promise.all(
        spray.slice(i, i + 8).map(async (u) => {
          expect([401, 429]).toContain((await loginFrom('127.0.0.9', url(), u, 'Wrong-guess-1')).status);
        }),
      );
    expect((await loginFrom('127.0.0.9', url(), 'admin', ADMIN_PASSWORD)).status).toBe(200);
    await createUser('late-user');
    expect((await loginFrom('127.0.0.9', url(), 'late-user', PASSWORD)).status).toBe(200);
  }, 60_000);

  it('password spraying over existing usernames trips the per-address ceiling, except for usernames that logged in from there', async () => {
    const victims = ['spray-0', 'spray-1', 'spray-2', 'spray-3', 'spray-4', 'spray-fresh'];
    for (const v of victims) await createUser(v);
    expect((await loginFrom('127.0.0.10', url(), 'admin', ADMIN_PASSWORD)).status).toBe(200);
    for (const v of victims.slice(0, 5))
      for (let j = 0; j < 4; j++)
        expect((await loginFrom('127.0.0.10', url(), v, `Common-pass-${j}`)).status).toBe(401);
    // 20 failures against existing usernames: the address is over its ceiling for usernames without history there.
    const fresh = await loginFrom('127.0.0.10', url(), 'spray-fresh', PASSWORD);
    expect(fresh.status).toBe(429);
    expect(fresh.body.code).toBe('IDENTITY.RATE_LIMITED');
    // An unknown username gets the same answer (no enumeration).
    expect((await loginFrom('127.0.0.10', url(), `nobody-${randomUUID()}`, PASSWORD)).status).toBe(429);
    // The admin logged in from this address before: still in. The same user from elsewhere: in.
    expect((await loginFrom('127.0.0.10', url(), 'admin', ADMIN_PASSWORD)).status).toBe(200);
    expect((await loginFrom('127.0.0.11', url(), 'spray-fresh', PASSWORD)).status).toBe(200);
  });
});
