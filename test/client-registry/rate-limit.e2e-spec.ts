/** Issue 4: the public register route is rate limited per client IP (429 with Retry-After, nothing recorded). */
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

describe('client registry: register rate limit per IP', () => {
  let t: TestAdminApi;

  beforeAll(async () => {
    t = await startTestAdminApi({
      CLIENT_REGISTRY_RATE_LIMIT_PER_IP: '3',
      CLIENT_REGISTRY_RATE_LIMIT_WINDOW_SECONDS: '600',
    });
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('the 4th attempt from one address within the window answers 429 with Retry-After', async () => {
    for (let i = 0; i < 3; i++)
      await t.http
        .post('/api/client-registry/register')
        .send({ username: `flood-${i}`, password: 'Device-passw0rd-1' })
        .expect(423);
    const res = await t.http
      .post('/api/client-registry/register')
      .send({ username: 'flood-9', password: 'Device-passw0rd-1' })
      .expect(429);
    expect(res.body.code).toBe('REGISTRY.RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(500);
    expect(t.leaks).toEqual([]);
  });
});
