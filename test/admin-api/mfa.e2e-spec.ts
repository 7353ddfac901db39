/**
 * TOTP MFA (SPEC 2.1, issue 10, ADR 0020) against a real admin-api: enrolment, confirmation, login with
 * `otp` or `backupCode`, replay, the 5-code ban, enforced enrolment with a restricted token, disabling,
 * new backup codes, the administrator's reset, and what is stored. Codes are computed with the TOTP
 * library from the secret the enrolment shows, as an authenticator app would.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { DataSource } from 'typeorm';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

const ADMIN_ROLE = '00000000-0000-4000-8000-000000000001';
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const totp = (secret: string, offsetSteps = 0): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() + offsetSteps * 30_000 });
/** A 6-digit code that is none of the codes of the window around now. */
function wrongCodeFor(secret: string): string {
  const valid = new Set([-1, 0, 1].map((o) => totp(secret, o)));
  let c = '000000';
  while (valid.has(c)) c = String(Number(c) + 1).padStart(6, '0');
  return c;
}

let seq = 0;
const unique = (p: string) => `${p}-${++seq}-${randomBytes(3).toString('hex')}`;
const PASSWORD = 'Mfa-test-passw0rd';

describe('TOTP MFA (SPEC 2.1)', () => {
  let t: TestAdminApi;
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
  });
  afterAll(async () => {
    // no answer but the enrolment's own ever carried a secret, a hash or a provisioning URI
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  async function newUser(extra: Record<string, unknown> = {}): Promise<{ id: string; username: string }> {
    const username = unique('mfa');
    const res = await t.http
      .post('/api/users')
      .set(bearer(admin))
      .send({
        username,
        password: PASSWORD,
        grantTypes: [
          { method: 'password', isRequired: false },
          { method: 'token', isRequired: false },
        ],
        ...extra,
      });
    expect(res.status).toBe(201);
    return { id: res.body.id as string, username };
  }
  const login = (username: string, extra: Record<string, unknown> = {}) =>
    t.http.post('/api/login').send({ username, password: PASSWORD, ...extra });
  async function tokenOf(username: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await login(username, extra);
    expect(res.status).toBe(200);
    return res.body.token as string;
  }
  /** Enrols the user with its own session; answers the secret, the backup codes and that session. */
  async function enrolled(extra: Record<string, unknown> = {}) {
    const user = await newUser(extra);
    const token = await tokenOf(user.username);
    const started = await t.http.post('/api/me/mfa').set(bearer(token));
    expect(started.status).toBe(200);
    const secret = started.body.secret as string;
    const confirmed = await t.http
      .post('/api/me/mfa/confirm')
      .set(bearer(token))
      .send({ otp: totp(secret) });
    expect(confirmed.status).toBe(200);
    return { ...user, secret, token, backupCodes: confirmed.body.backupCodes as string[] };
  }

  it('GET /api/auth/mfa is public and says MFA is on by default', async () => {
    const res = await t.http.get('/api/auth/mfa');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ enabled: true });
  });

  it('enrolment: a secret and otpauth URI (RFC 6238, SHA-1, 6 digits, 30 s), not active until confirmed', async () => {
    const user = await newUser();
    const token = await tokenOf(user.username);
    const started = await t.http.post('/api/me/mfa').set(bearer(token));
    expect(started.status).toBe(200);
    expect(started.body.secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits
    const uri = new URL(started.body.otpauthUri as string);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe(`/Gatehouse:${user.username}`);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      secret: started.body.secret,
      issuer: 'Gatehouse',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });
    // pending: the password alone still logs in, and the status says so
    expect((await login(user.username)).status).toBe(200);
    const status = await t.http.get('/api/me/mfa').set(bearer(token));
    expect(status.body).toEqual({ enabled: false, pending: true, backupCodesRemaining: 0 });
    // a wrong code does not confirm
    const wrong = await t.http
      .post('/api/me/mfa/confirm')
      .set(bearer(token))
      .send({ otp: wrongCodeFor(started.body.secret as string) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('AUTH.MFA_CODE_REJECTED');
    expect((await login(user.username)).status).toBe(200);
  });

  it('confirmation: 10 distinct backup codes; the other tokens of the user are revoked, this one stays', async () => {
    const user = await newUser();
    const other = await tokenOf(user.username);
    const token = await tokenOf(user.username);
    const secret = (await t.http.post('/api/me/mfa').set(bearer(token))).body.secret as string;
    const res = await t.http
      .post('/api/me/mfa/confirm')
      .set(bearer(token))
      .send({ otp: totp(secret) });
    expect(res.status).toBe(200);
    const codes = res.body.backupCodes as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){3}$/);
    expect((await t.http.get('/api/me').set(bearer(other))).status).toBe(401);
    expect((await t.http.get('/api/me').set(bearer(token))).status).toBe(200);
    const status = await t.http.get('/api/me/mfa').set(bearer(token));
    expect(status.body).toEqual({ enabled: true, pending: false, backupCodesRemaining: 10 });
    // confirmed once: neither a second confirmation nor a new enrolment while it is on
    expect(
      (
        await t.http
          .post('/api/me/mfa/confirm')
          .set(bearer(token))
          .send({ otp: totp(secret, 1) })
      ).body.code,
    ).toBe('AUTH.MFA_NOT_PENDING');
    const again = await t.http.post('/api/me/mfa').set(bearer(token));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('AUTH.MFA_ALREADY_ENABLED');
  });

  it('login of an enrolled user: no otp → 401 AUTH.MFA_REQUIRED; valid TOTP → 200; the same TOTP again → 401', async () => {
    const u = await enrolled();
    const bare = await login(u.username);
    expect(bare.status).toBe(401);
    expect(bare.body.code).toBe('AUTH.MFA_REQUIRED');
    expect(bare.body.token).toBeUndefined();
    // a wrong password says nothing about MFA
    const wrongPassword = await t.http
      .post('/api/login')
      .send({ username: u.username, password: 'Not-the-passw0rd' });
    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.body.code).toBe('IDENTITY.INVALID_CREDENTIALS');
    // the confirmation used the current step: the next one is the code an app shows a moment later
    const code = totp(u.secret, 1);
    const ok = await login(u.username, { otp: code });
    expect(ok.status).toBe(200);
    expect((await t.http.get('/api/me').set(bearer(ok.body.token as string))).status).toBe(200);
    const replay = await login(u.username, { otp: code });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('AUTH.MFA_INVALID_CODE');
    // an older step than the last one used is refused too, and so is a code from two steps ago
    expect((await login(u.username, { otp: totp(u.secret) })).status).toBe(401);
    expect((await login(u.username, { otp: totp(u.secret, -2) })).status).toBe(401);
  });

  it('a code two steps ahead is outside the window (±1 step, ASVS 6.5.5)', async () => {
    const u = await enrolled();
    const res = await login(u.username, { otp: totp(u.secret, 3) });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('AUTH.MFA_INVALID_CODE');
  });

  it('a backup code logs in once; written in capitals or without dashes it is the same code', async () => {
    const u = await enrolled();
    const [first, second] = u.backupCodes;
    expect((await login(u.username, { backupCode: first })).status).toBe(200);
    const again = await login(u.username, { backupCode: first });
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('AUTH.MFA_INVALID_CODE');
    expect((await login(u.username, { backupCode: second.toUpperCase().replace(/-/g, '') })).status).toBe(
      200,
    );
    const token = await tokenOf(u.username, { backupCode: u.backupCodes[2] });
    expect((await t.http.get('/api/me/mfa').set(bearer(token))).body.backupCodesRemaining).toBe(7);
    // another user's code is not this user's
    const other = await enrolled();
    expect((await login(u.username, { backupCode: other.backupCodes[0] })).status).toBe(401);
  });

  it('5 wrong codes → 429 AUTH.MFA_BANNED with Retry-After, even for a right code; other users unaffected', async () => {
    const u = await enrolled();
    const bystander = await enrolled();
    const wrong = wrongCodeFor(u.secret);
    for (let i = 1; i <= 4; i++) {
      const res = await login(u.username, { otp: wrong });
      expect(`${i}: ${res.status} ${res.body.code}`).toBe(`${i}: 401 AUTH.MFA_INVALID_CODE`);
    }
    const fifth = await login(u.username, { backupCode: 'aaaa-bbbb-cccc-dddd' });
    expect(fifth.status).toBe(429);
    expect(fifth.body.code).toBe('AUTH.MFA_BANNED');
    const retryAfter = Number(fifth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    const right = await login(u.username, { otp: totp(u.secret, 1) });
    expect(right.status).toBe(429);
    expect(right.body.code).toBe('AUTH.MFA_BANNED');
    expect((await login(u.username, { backupCode: u.backupCodes[0] })).status).toBe(429);
    // the session's own MFA routes are under the same ban
    const regen = await t.http
      .post('/api/me/mfa/backup-codes')
      .set(bearer(u.token))
      .send({ otp: totp(u.secret, 1) });
    expect(regen.status).toBe(429);
    // the ban needs the password: a wrong one still gets the plain 401
    const guess = await t.http
      .post('/api/login')
      .send({ username: u.username, password: 'Not-the-passw0rd' });
    expect(guess.body.code).toBe('IDENTITY.INVALID_CREDENTIALS');
    expect((await login(bystander.username, { otp: totp(bystander.secret, 1) })).status).toBe(200);
  });

  it('enforceMFAEnrollment: the login token reaches only /api/me and /api/me/mfa* until enrolment is confirmed', async () => {
    const u = await newUser({ enforceMFAEnrollment: true, roles: [ADMIN_ROLE] });
    const first = await login(u.username);
    expect(first.status).toBe(200);
    expect(first.body.mfaEnrollmentRequired).toBe(true);
    const token = first.body.token as string;
    expect((await t.http.get('/api/me').set(bearer(token))).status).toBe(200);
    expect((await t.http.get('/api/me/mfa').set(bearer(token))).status).toBe(200);
    for (const [method, path] of [
      ['get', '/api/users'],
      ['get', `/api/users/${u.id}`],
      ['get', '/api/roles'],
      ['put', '/api/me/password'],
    ] as const) {
      const res = await t.http[method](path)
        .set(bearer(token))
        .send({ currentPassword: PASSWORD, newPassword: 'Another-passw0rd' });
      expect(`${method} ${path}: ${res.status} ${res.body.code}`).toBe(
        `${method} ${path}: 403 AUTH.MFA_ENROLLMENT_REQUIRED`,
      );
    }
    // no long-lived token before enrolment
    const labelled = await login(u.username, { label: 'before-enrolment' });
    expect(labelled.status).toBe(403);
    expect(labelled.body.code).toBe('AUTH.MFA_ENROLLMENT_REQUIRED');
    const secret = (await t.http.post('/api/me/mfa').set(bearer(token))).body.secret as string;
    expect((await t.http.get('/api/users').set(bearer(token))).status).toBe(403); // pending is not enrolled
    expect(
      (
        await t.http
          .post('/api/me/mfa/confirm')
          .set(bearer(token))
          .send({ otp: totp(secret) })
      ).status,
    ).toBe(200);
    expect((await t.http.get('/api/users').set(bearer(token))).status).toBe(200);
    expect((await login(u.username)).body.code).toBe('AUTH.MFA_REQUIRED');
    const after = await login(u.username, { otp: totp(secret, 1) });
    expect(after.status).toBe(200);
    expect(after.body.mfaEnrollmentRequired).toBeUndefined();
  });

  it('DELETE /api/me/mfa needs a right code (otp or backup code); then the password alone logs in again', async () => {
    const u = await enrolled();
    const noCode = await t.http.delete('/api/me/mfa').set(bearer(u.token)).send({});
    expect(noCode.status).toBe(400);
    expect(noCode.body.code).toBe('AUTH.MFA_CODE_MISSING');
    const wrong = await t.http
      .delete('/api/me/mfa')
      .set(bearer(u.token))
      .send({ otp: wrongCodeFor(u.secret) });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('AUTH.MFA_CODE_REJECTED');
    expect((await login(u.username)).status).toBe(401);
    const off = await t.http
      .delete('/api/me/mfa')
      .set(bearer(u.token))
      .send({ backupCode: u.backupCodes[9] });
    expect(off.status).toBe(204);
    expect((await login(u.username)).status).toBe(200);
    expect((await t.http.get('/api/me/mfa').set(bearer(u.token))).body).toEqual({
      enabled: false,
      pending: false,
      backupCodesRemaining: 0,
    });
    expect((await t.http.delete('/api/me/mfa').set(bearer(u.token)).send({ otp: '123456' })).status).toBe(
      409,
    );
  });

  it('POST /api/me/mfa/backup-codes replaces the codes: the old ones stop working, the new ones work', async () => {
    const u = await enrolled();
    const res = await t.http
      .post('/api/me/mfa/backup-codes')
      .set(bearer(u.token))
      .send({ otp: totp(u.secret, 1) });
    expect(res.status).toBe(200);
    const fresh = res.body.backupCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.filter((c) => u.backupCodes.includes(c))).toEqual([]);
    expect((await login(u.username, { backupCode: u.backupCodes[0] })).status).toBe(401);
    expect((await login(u.username, { backupCode: fresh[0] })).status).toBe(200);
    // audited (SPEC 6: an update of the user's secrets) as a mark, never the codes themselves
    const events = await t.http
      .get(`/api/audit-events?action=user.update&targetId=${u.id}`)
      .set(bearer(admin));
    expect(events.status).toBe(200);
    const items = events.body.items as { result: string; actor: { id: string }; changes: unknown }[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ result: 'success', actor: { id: u.id } });
    expect(items[0].changes).toEqual({ mfaBackupCodes: { before: '[secret]', after: '[secret]' } });
    const text = JSON.stringify(events.body);
    for (const code of [...fresh, ...u.backupCodes]) expect(text).not.toContain(code);
  });

  it('DELETE /api/users/{id}/mfa: an administrator resets it and the user’s tokens end; not one’s own, not without the target’s permissions', async () => {
    const u = await enrolled();
    const res = await t.http.delete(`/api/users/${u.id}/mfa`).set(bearer(admin));
    expect(res.status).toBe(204);
    expect((await t.http.get('/api/me').set(bearer(u.token))).status).toBe(401);
    expect((await login(u.username)).status).toBe(200);
    // audited (SPEC 6): the enrolment by the user, the reset by the administrator
    for (const action of ['mfa.enroll', 'mfa.reset']) {
      const events = await t.http
        .get(`/api/audit-events?action=${action}&targetId=${u.id}`)
        .set(bearer(admin));
      expect(events.status).toBe(200);
      expect((events.body.items as { result: string }[]).map((e) => `${action} ${e.result}`)).toEqual([
        `${action} success`,
      ]);
    }
    // idempotent for a user without MFA; 404 for an unknown user
    expect((await t.http.delete(`/api/users/${u.id}/mfa`).set(bearer(admin))).status).toBe(204);
    expect(
      (await t.http.delete('/api/users/00000000-0000-4000-8000-00000000abcd/mfa').set(bearer(admin))).status,
    ).toBe(404);
    // a helpdesk user allowed on the route, but holding less than the target: no takeover (ADR 0004)
    const target = await enrolled({ roles: [ADMIN_ROLE] });
    const helpdesk = await newUser({
      permissions: [{ context: 'http', resource: '/api/users/+/mfa', operation: 'write' }],
    });
    const denied = await t.http
      .delete(`/api/users/${target.id}/mfa`)
      .set(bearer(await tokenOf(helpdesk.username)));
    expect(denied.status).toBe(403);
    expect((await login(target.username)).body.code).toBe('AUTH.MFA_REQUIRED');
    // one's own MFA goes off only with a code
    const self = await t.http.delete(`/api/users/${target.id}/mfa`).set(bearer(target.token));
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('AUTH.MFA_SELF_RESET');
  });

  it('at rest: the secret is sealed (never the plain bytes), backup codes are stored as hashes only', async () => {
    const u = await enrolled();
    const ds = t.api.app.get(DataSource);
    const [row] = await ds.query<{ sealed_secret: Buffer }[]>(
      `SELECT sealed_secret FROM user_mfa WHERE user_id = $1`,
      [u.id],
    );
    const plain = Buffer.from(Secret.fromBase32(u.secret).bytes);
    expect(row.sealed_secret.length).toBe(1 + 12 + 16 + plain.length);
    expect(row.sealed_secret.includes(plain)).toBe(false);
    expect(row.sealed_secret.toString('latin1')).not.toContain(u.secret);
    const hashes = await ds.query<{ code_hash: Buffer }[]>(
      `SELECT code_hash FROM mfa_backup_codes WHERE user_id = $1`,
      [u.id],
    );
    expect(hashes).toHaveLength(10);
    for (const h of hashes) {
      expect(h.code_hash.length).toBe(32);
      for (const c of u.backupCodes)
        expect(h.code_hash.toString('latin1')).not.toContain(c.replace(/-/g, ''));
    }
    // and no user view shows anything of it
    const view = await t.http.get(`/api/users/${u.id}`).set(bearer(admin));
    expect(JSON.stringify(view.body)).not.toMatch(/secret|backup|otpauth/i);
  });
});

describe('MFA_ENABLED=false', () => {
  let t: TestAdminApi;
  beforeAll(async () => {
    t = await startTestAdminApi({ MFA_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('GET /api/auth/mfa says off, enrolment answers 404 AUTH.MFA_DISABLED, enforceMFAEnrollment restricts nothing', async () => {
    expect((await t.http.get('/api/auth/mfa')).body).toEqual({ enabled: false });
    const admin = await t.adminToken();
    const res = await t.http.post('/api/me/mfa').set(bearer(admin));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('AUTH.MFA_DISABLED');
    const username = unique('off');
    expect(
      (
        await t.http
          .post('/api/users')
          .set(bearer(admin))
          .send({ username, password: PASSWORD, enforceMFAEnrollment: true, roles: [ADMIN_ROLE] })
      ).status,
    ).toBe(201);
    const login = await t.http.post('/api/login').send({ username, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.body.mfaEnrollmentRequired).toBeUndefined();
    expect((await t.http.get('/api/users').set(bearer(login.body.token as string))).status).toBe(200);
  });
});
