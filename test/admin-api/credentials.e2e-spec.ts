/**
 * Issue 9, credentials (ASVS 6.2.1, 6.2.3, 6.2.4, 6.2.11, 6.2.12, 7.1.1, 7.3.1, 7.5.1; ADR 0009), on a
 * real admin-api and database over real HTTP:
 * - passwords: the product's name, the user's own name and common passwords are refused with 400
 *   problem+json everywhere a password is set (create, PATCH, PUT /api/me/password, registry REST);
 * - PATCH /api/users/{own id} that changes one's own password or grant types needs `currentPassword`;
 * - token lifetimes are capped by the server (TOKEN_MAX_HOURS, LOGIN_TOKEN_MAX_HOURS), and a token's
 *   `lastUsedAt` is recorded and listed.
 */
import { ADMIN_PASSWORD, startTestAdminApi, type TestAdminApi } from '../support/admin-api';

jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any;

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const PROBLEM = /application\/problem\+json/;
const SELF_WRITE = (id: string) => [
  { context: 'http', resource: `/api/users/${id}`, operation: 'readWrite' },
];

describe('credentials (issue 9: ASVS 6.2, 7.3, 7.5)', () => {
  let t: TestAdminApi;
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi({ TOKEN_MAX_HOURS: '720', LOGIN_TOKEN_MAX_HOURS: '12' });
    admin = await t.adminToken();
    // labelled tokens need the `token` grant (ADR 0011): give it to the admin, proving the password
    const me = (await t.http.get('/api/me').set(bearer(admin)).expect(200)).body;
    const user = (await t.http.get(`/api/users/${me.id}`).set(bearer(admin)).expect(200)).body;
    await t.http
      .patch(`/api/users/${me.id}`)
      .set(bearer(admin))
      .send({
        version: user.version,
        currentPassword: ADMIN_PASSWORD,
        grantTypes: [
          { method: 'password', isRequired: false },
          { method: 'token', isRequired: false },
        ],
      })
      .expect(200);
  });
  afterAll(async () => {
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  const createUser = (body: object) => t.http.post('/api/users').set(bearer(admin)).send(body);
  const expectWeak = (res: { status: number; headers: Record<string, string>; body: Json }, rule: RegExp) => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM);
    expect(res.body.code).toBe('IDENTITY.WEAK_PASSWORD');
    expect(res.body.detail).toMatch(rule);
  };

  describe('password rules apply wherever a password is set', () => {
    it.each([
      ['password123', /commonly used password/],
      ['QWERTYUIOP', /commonly used password/],
      ['Gatehouse2025!', /product name "gatehouse"/],
      ['plant-07', /the username/],
      ['PLANT-07-plant-07', /the username/],
      ['1234567', /at least 8 characters/],
    ])('POST /api/users {username: plant-07, password: %j} → 400', async (password, rule) => {
      expectWeak(await createUser({ username: 'plant-07', password }), rule);
    });

    it('accepts an uncommon password that has the username among enough other characters', async () => {
      const res = await createUser({ username: 'plant-08', password: 'plant-08-Kq7#vRm2' });
      expect(res.status).toBe(201);
    });

    it('PATCH /api/users/{id} and PUT /api/me/password refuse them too', async () => {
      const u = (await createUser({ username: 'weak-check', password: 'Wc-Kq7#vRm2-a' }).expect(201)).body;
      expectWeak(
        await t.http
          .patch(`/api/users/${u.id}`)
          .set(bearer(admin))
          .send({ version: u.version, password: 'iloveyou' }),
        /commonly used password/,
      );
      expectWeak(
        await t.http
          .patch(`/api/users/${u.id}`)
          .set(bearer(admin))
          .send({ version: u.version, password: 'Weak-Check' }),
        /the username/,
      );
      const token = await t.login('weak-check', 'Wc-Kq7#vRm2-a');
      expectWeak(
        await t.http
          .put('/api/me/password')
          .set(bearer(token))
          .send({ currentPassword: 'Wc-Kq7#vRm2-a', newPassword: 'gatehouse-gatehouse' }),
        /product name/,
      );
      expectWeak(
        await t.http
          .put('/api/me/password')
          .set(bearer(token))
          .send({ currentPassword: 'Wc-Kq7#vRm2-a', newPassword: 'weak-check-123' }),
        /the username/,
      );
    });

    it('the registry REST flow refuses them (400) before anything is recorded', async () => {
      await t.http.post('/api/client-registry/unlock').set(bearer(admin)).send({}).expect(200);
      const reg = (password: string) =>
        t.http.post('/api/client-registry/register').send({ username: 'sensor-77', password });
      expectWeak(await reg('letmein123'), /commonly used password/);
      expectWeak(await reg('sensor-77!'), /the username/);
      expectWeak(await reg('gatehouse-77'), /product name/);
      expect((await reg('sensor-77-Kq7#vRm2')).status).toBe(202);
      await t.http.post('/api/client-registry/lock').set(bearer(admin)).send({}).expect(200);
    });
  });

  describe('PATCH /api/users/{own id} needs the current password for own credentials (ASVS 6.2.3, 7.5.1)', () => {
    const PW = 'Self-Kq7#vRm2-a';
    let me: { id: string; version: number };
    let token: string;

    beforeAll(async () => {
      const created = (await createUser({ username: 'self-editor', password: PW }).expect(201)).body;
      // the user may write its own record (as an operator account often can)
      const patched = await t.http
        .patch(`/api/users/${created.id}`)
        .set(bearer(admin))
        .send({ version: created.version, permissions: SELF_WRITE(created.id) })
        .expect(200);
      me = patched.body;
      token = await t.login('self-editor', PW);
    });

    const patchSelf = (body: object) =>
      t.http
        .patch(`/api/users/${me.id}`)
        .set(bearer(token))
        .send({ version: me.version, ...body });

    it('refuses a password change without currentPassword: 403 AUTH.CURRENT_PASSWORD_REQUIRED', async () => {
      const res = await patchSelf({ password: 'New-Kq7#vRm2-b' });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('AUTH.CURRENT_PASSWORD_REQUIRED');
      // nothing changed: the old password still logs in
      await t.login('self-editor', PW);
    });

    it('refuses a wrong currentPassword: 403 AUTH.CURRENT_PASSWORD_INVALID', async () => {
      const res = await patchSelf({ password: 'New-Kq7#vRm2-b', currentPassword: 'not-my-password' });
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('AUTH.CURRENT_PASSWORD_INVALID');
      await t.login('self-editor', PW);
    });

    it('refuses a grant-type change without currentPassword', async () => {
      const res = await patchSelf({ grantTypes: [{ method: 'token', isRequired: false }] });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('AUTH.CURRENT_PASSWORD_REQUIRED');
    });

    it('lets an edit that touches no credential through without currentPassword', async () => {
      const res = await patchSelf({ mqttPublishPrefix: 'site9/' });
      expect(res.status).toBe(200);
      me = res.body;
    });

    it('applies the change with the right currentPassword', async () => {
      const res = await patchSelf({ password: 'New-Kq7#vRm2-b', currentPassword: PW });
      expect(res.status).toBe(200);
      await t.login('self-editor', 'New-Kq7#vRm2-b');
      // the password change ended the session that made it, as every password change does
      await t.http.get('/api/me').set(bearer(token)).expect(401);
    });

    it('an administrator changing someone else needs no currentPassword (ADR 0004 governs that)', async () => {
      const u = (await t.http.get(`/api/users/${me.id}`).set(bearer(admin)).expect(200)).body;
      await t.http
        .patch(`/api/users/${me.id}`)
        .set(bearer(admin))
        .send({ version: u.version, password: 'Reset-Kq7#vRm2-c' })
        .expect(200);
    });
  });

  describe('token lifetimes are capped by the server (ASVS 7.3.2, 7.1.1)', () => {
    const login = (body: object) =>
      t.http.post('/api/login').send({ username: 'admin', password: ADMIN_PASSWORD, ...body });

    it('a login token without label may live at most LOGIN_TOKEN_MAX_HOURS (12)', async () => {
      const res = await login({ expireTimeInHours: 13 });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('IDENTITY.TOKEN_LIFETIME_TOO_LONG');
      expect(res.body.detail).toMatch(/LOGIN_TOKEN_MAX_HOURS \(12 h\)/);
      const ok = await login({ expireTimeInHours: 12 });
      expect(ok.status).toBe(200);
    });

    it('a labelled token may live at most TOKEN_MAX_HOURS (720 here); 87,600 h is refused', async () => {
      const res = await login({ label: 'ci', expireTimeInHours: 87_600 });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('IDENTITY.TOKEN_LIFETIME_TOO_LONG');
      expect(res.body.detail).toMatch(/TOKEN_MAX_HOURS \(720 h\)/);
      const ok = await login({ label: 'ci', expireTimeInHours: 720 });
      expect(ok.status).toBe(200);
    });

    it('the default lifetime of a labelled token (365 days) is lowered to the cap', async () => {
      const before = Date.now();
      const res = await login({ label: 'default-lifetime' });
      expect(res.status).toBe(200);
      const hours = (new Date(res.body.expiresAt).getTime() - before) / 3_600_000;
      expect(hours).toBeGreaterThan(719);
      expect(hours).toBeLessThanOrEqual(720.01);
    });
  });

  describe('lastUsedAt of a token is recorded and listed (ASVS 7.3.1)', () => {
    it('is null until the token is used, then set', async () => {
      const res = await t.http
        .post('/api/login')
        .send({ username: 'admin', password: ADMIN_PASSWORD, label: 'last-used' })
        .expect(200);
      const me = (await t.http.get('/api/me').set(bearer(admin)).expect(200)).body;
      const listed = async () =>
        (
          (await t.http.get(`/api/users/${me.id}/tokens`).set(bearer(admin)).expect(200)).body.items as Json[]
        ).find((x) => x.id === res.body.tokenId);
      expect((await listed()).lastUsedAt).toBeNull();
      const usedFrom = Date.now() - 1000;
      await t.http.get('/api/me').set(bearer(res.body.token)).expect(200);
      // written in the background at most a second later (never by the request itself)
      const deadline = Date.now() + 5000;
      let lastUsedAt: string | null = null;
      while (lastUsedAt === null && Date.now() < deadline) {
        lastUsedAt = (await listed()).lastUsedAt;
        if (lastUsedAt === null) await new Promise((r) => setTimeout(r, 100));
      }
      expect(lastUsedAt).not.toBeNull();
      expect(new Date(lastUsedAt as string).getTime()).toBeGreaterThanOrEqual(usedFrom);
    });
  });
});
