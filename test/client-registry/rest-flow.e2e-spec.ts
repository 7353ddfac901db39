/**
 * Issue 4 "Done when" 1, 3, 4, 6 (REST flow): locked → 423, unlock, a device POSTs an openssl CSR,
 * pairing ID on both sides, grant, the poll collects a certificate `openssl verify` accepts.
 * Through the generated SDK (@gatehouse/sdk, issue 13), but for the raw-body cases (415, 413).
 */
import { DataSource } from 'typeorm';
import type {
  GatehouseClient,
  RegisterDtoWritable,
  RegisterGrantedDto,
  RegisterPendingDto,
} from '@gatehouse/sdk';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import { type Answer, expectAnswer, sdkClient } from '../support/sdk';
import {
  breakSignature,
  type DeviceKey,
  opensslCsr,
  opensslText,
  opensslVerify,
  removeDir,
  tempDir,
} from './openssl';

jest.setTimeout(60_000);

const PASSWORD = 'Device-passw0rd-1';
const REGISTER = '/api/client-registry/register';

describe('client registry, REST flow (SPEC 4)', () => {
  let t: TestAdminApi;
  let admin: string;
  let dir: string;
  /** The SDK as the holder of `token` (none: a device, or anonymous). */
  const gh = (token?: string): GatehouseClient => sdkClient(t.api.httpUrl, token);
  const requests = async (state?: 'pending' | 'granted' | 'rejected' | 'expired') =>
    (await expectAnswer(gh(admin).clientRegistry.list({ query: state ? { state } : {} }), 200)).body.items;
  const unlock = () => expectAnswer(gh(admin).clientRegistry.unlock({ body: {} }), 200);
  const lock = () => expectAnswer(gh(admin).clientRegistry.lock(), 200);
  /** A device's POST /api/client-registry/register, with any body (the crafted ones too). */
  const register = (body: Record<string, unknown>, status: number) =>
    expectAnswer(gh().clientRegistry.register({ body: body as RegisterDtoWritable }), status) as Promise<
      Answer<RegisterPendingDto & RegisterGrantedDto>
    >;
  const grantRequest = (id: string, body: Record<string, unknown>, status: number, token = admin) =>
    expectAnswer(gh(token).clientRegistry.grant({ path: { id }, body }), status);
  const rejectRequest = (id: string, status: number) =>
    expectAnswer(gh(admin).clientRegistry.reject({ path: { id } }), status);
  const createUser = (body: Record<string, unknown>) =>
    expectAnswer(gh(admin).users.create({ body: body as { username: string } }), 201);
  const getUser = async (id: string) => (await expectAnswer(gh(admin).users.get({ path: { id } }), 200)).body;

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
    dir = await tempDir();
  });

  afterAll(async () => {
    await t?.stop();
    await removeDir(dir);
  });

  afterEach(() => {
    expect(t.leaks).toEqual([]);
  });

  it('is locked by default: a registration answers 423 and nothing is recorded', async () => {
    expect((await expectAnswer(gh(admin).clientRegistry.state(), 200)).body).toEqual({
      state: 'locked',
      unlockedUntil: null,
    });
    const res = await register({ username: 'dev-locked', password: PASSWORD }, 423);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('REGISTRY.LOCKED');
    expect(await requests()).toEqual([]);
  });

  it('the registry routes need a token and an http permission; register is public', async () => {
    await expectAnswer(gh().clientRegistry.state(), 401);
    await expectAnswer(gh().clientRegistry.unlock({ body: {} }), 401);
    await expectAnswer(gh().clientRegistry.list(), 401);
    await register({ username: 'x' }, 400);
  });

  it('unlock takes a duration (default 5 min, max 1 h); lock locks', async () => {
    const before = Date.now();
    const res = await unlock();
    expect(res.body.state).toBe('unlocked');
    const until = Date.parse(res.body.unlockedUntil!);
    expect(until - before).toBeGreaterThan(290_000);
    expect(until - before).toBeLessThan(310_000);
    await expectAnswer(gh(admin).clientRegistry.unlock({ body: { durationMs: 3_600_001 } }), 400);
    expect((await lock()).body).toEqual({ state: 'locked', unlockedUntil: null });
  });

  describe('a device with a password and an openssl CSR', () => {
    let device: DeviceKey;
    let requestId: string;
    let pairingId: string;

    beforeAll(async () => {
      device = await opensslCsr(dir, 'press-17');
    });

    it('unlocked → 202 with a pairing ID; the same POST again is the same request (polling)', async () => {
      await unlock();
      const res = await register(
        { username: 'press-17', password: PASSWORD, csr: device.csr, context: 'hall 3' },
        202,
      );
      expect(res.body).toEqual({
        requestId: expect.any(String),
        pairingId: expect.stringMatching(/^[0-9A-F]{6}$/),
        state: 'pending',
      });
      requestId = res.body.requestId;
      pairingId = res.body.pairingId;
      const again = await register({ username: 'press-17', password: PASSWORD, csr: device.csr }, 202);
      expect(again.body).toEqual({ requestId, pairingId, state: 'pending' });
    });

    it('the admin listing shows the same pairing ID, once', async () => {
      const pending = (await requests('pending')).filter((r) => r.username === 'press-17');
      expect(pending).toHaveLength(1);
      expect(pending[0]).toMatchObject({
        id: requestId,
        pairingId,
        state: 'pending',
        hasCsr: true,
        hasPassword: true,
        attempts: 2,
      });
    });

    it('another password for the pending username → 409, and the pending request is unchanged (no takeover)', async () => {
      const res = await register(
        { username: 'press-17', password: 'Other-passw0rd-2', csr: device.csr },
        409,
      );
      expect(res.body.code).toBe('REGISTRY.CONFLICT');
      const other = await opensslCsr(dir, 'press-17', 'press-17-other');
      await register({ username: 'press-17', password: PASSWORD, csr: other.csr }, 409);
      await register({ username: 'press-17', password: PASSWORD }, 409);
      const [r] = (await requests('pending')).filter((x) => x.username === 'press-17');
      expect(r).toMatchObject({ id: requestId, pairingId, attempts: 2 });
    });

    it('pending requests stay pollable after the registry locks', async () => {
      await lock();
      await register({ username: 'press-17', password: PASSWORD, csr: device.csr }, 202);
    });

    it('grant → the next poll answers 201 with a certificate that `openssl verify` accepts against the Gatehouse CA', async () => {
      const granted = await grantRequest(requestId, {}, 200);
      expect(granted.body.request).toMatchObject({ id: requestId, state: 'granted', pairingId });
      const user = granted.body.user;
      expect(user).toMatchObject({ username: 'press-17', roles: [], permissions: [] });
      expect(user.grantTypes.map((g: { method: string }) => g.method).sort()).toEqual([
        'certificate',
        'password',
      ]);
      expect(user.certificates).toHaveLength(1);

      const res = await register({ username: 'press-17', password: PASSWORD, csr: device.csr }, 201);
      expect(res.body).toEqual({
        username: 'press-17',
        certificate: expect.stringContaining('BEGIN CERTIFICATE'),
        caCertificate: expect.stringContaining('BEGIN CERTIFICATE'),
      });
      expect(await opensslVerify(dir, res.body.caCertificate!, res.body.certificate!)).toMatch(/: OK/);
      const text = await opensslText(dir, res.body.certificate!);
      expect(text).toMatch(/subject=CN\s?=\s?press-17/);
      expect(text).toMatch(/TLS Web Client Authentication/);
      // the fingerprint recorded on the user is the certificate's
      const { X509Certificate } = await import('node:crypto');
      const fp = new X509Certificate(res.body.certificate!).fingerprint256.replace(/:/g, '').toLowerCase();
      expect(user.certificates[0].fingerprint).toBe(fp);

      // later polls: the same certificate (grace period); other credentials: 409
      const again = await register({ username: 'press-17', password: PASSWORD, csr: device.csr }, 201);
      expect(again.body.certificate).toBe(res.body.certificate);
      await register({ username: 'press-17', password: 'Other-passw0rd-2', csr: device.csr }, 409);
    });

    it('the granted user logs in over HTTP with the password and has no permissions', async () => {
      const token = await t.login('press-17', PASSWORD);
      await expectAnswer(gh(token).users.list(), 403);
    });

    it('a granted request cannot be granted or rejected again', async () => {
      await grantRequest(requestId, {}, 409);
      await rejectRequest(requestId, 409);
    });
  });

  describe('invalid requests are refused with 400 and nothing is stored', () => {
    beforeAll(async () => {
      await unlock();
    });

    it.each([
      [
        'CN is not the username',
        async () => ({ username: 'valve-1', csr: (await opensslCsr(dir, 'valve-2', 'cn-mismatch')).csr }),
      ],
      [
        'broken CSR signature',
        async () => ({ username: 'valve-3', csr: breakSignature((await opensslCsr(dir, 'valve-3')).csr) }),
      ],
      [
        'garbage CSR',
        async () => ({
          username: 'valve-4',
          csr: '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n',
        }),
      ],
      ['not PEM', async () => ({ username: 'valve-5', csr: 'hello' })],
      ['bad username', async () => ({ username: 'a/b#', password: PASSWORD })],
      ['weak password', async () => ({ username: 'valve-6', password: 'short' })],
      ['no credential', async () => ({ username: 'valve-7' })],
      ['unknown field', async () => ({ username: 'valve-8', password: PASSWORD, passwordHash: 'x' })],
    ])('%s → 400', async (_what, body) => {
      const before = (await requests()).length;
      const res = await register(await body(), 400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await requests()).length).toBe(before);
    });

    it('wrong content type → 415; oversized body → 413', async () => {
      // a body the SDK would never send: raw HTTP
      await t.http.post(REGISTER).set('content-type', 'text/plain').send('username=valve-9').expect(415);
      await register({ username: 'valve-9', password: PASSWORD, context: 'x'.repeat(70_000) }, 413);
      await register({ username: 'valve-9', password: 'x'.repeat(2_000_000) }, 413);
    });
  });

  describe('reject and expiry', () => {
    it('reject → the device poll answers 403 (REGISTRY.REJECTED); another device may not take the name over silently', async () => {
      await unlock();
      const res = await register({ username: 'pump-9', password: PASSWORD }, 202);
      await rejectRequest(res.body.requestId, 200);
      const poll = await register({ username: 'pump-9', password: PASSWORD }, 403);
      expect(poll.body.code).toBe('REGISTRY.REJECTED');
      expect((await requests('rejected')).map((r) => r.id)).toContain(res.body.requestId);
      await t.login('pump-9', PASSWORD).then(
        () => {
          throw new Error('a rejected device must not log in');
        },
        (err: Error) => expect(err.message).toMatch(/401/),
      );
    });

    it('an expired request cannot be granted', async () => {
      const res = await register({ username: 'pump-10', password: PASSWORD }, 202);
      // 24 hours later (SPEC 4): move the expiry into the past instead of waiting.
      await t.api.app
        .get(DataSource)
        .query(`UPDATE registration_requests SET expires_at = now() - interval '1 second' WHERE id = $1`, [
          res.body.requestId,
        ]);
      const grant = await grantRequest(res.body.requestId, {}, 409);
      expect(grant.body.code).toBe('REGISTRY.REQUEST_EXPIRED');
      expect((await requests('expired')).map((r) => r.id)).toContain(res.body.requestId);
      expect(
        (await expectAnswer(gh(admin).users.list({ query: { username: 'pump-10' } }), 200)).body.items,
      ).toEqual([]);
    });
  });

  describe('no escalation on approval (SPEC 2.2)', () => {
    it('an approver who lacks a permission cannot grant it with the approval', async () => {
      await createUser({
        username: 'approver',
        password: 'Approver-passw0rd-1',
        permissions: [
          { context: 'http', resource: '/api/client-registry/#', operation: 'readWrite' },
          { context: 'mqtt', resource: 'plant/#', operation: 'write' },
        ],
      });
      const approver = await t.login('approver', 'Approver-passw0rd-1');
      await unlock();
      const res = await register({ username: 'robot-1', password: PASSWORD }, 202);
      const grant = (permissions: unknown[], status: number) =>
        grantRequest(res.body.requestId, { permissions }, status, approver);
      const refused = await grant([{ context: 'mqtt', resource: '#', operation: 'write' }], 403);
      expect(refused.body.code).toBe('AUTH.ESCALATION');
      expect((await requests('pending')).map((r) => r.id)).toContain(res.body.requestId);
      const ok = await grant([{ context: 'mqtt', resource: 'plant/line1/#', operation: 'write' }], 200);
      expect(ok.body.user.permissions).toEqual([
        expect.objectContaining({ context: 'mqtt', resource: 'plant/line1/#', operation: 'write' }),
      ]);
    });
  });

  describe('denies and limits on approval (SPEC 1.4.6-7, ADR 0019)', () => {
    it('an approval grants denies and limits as sent; the approver’s own deny bounds what it grants', async () => {
      const deny = { context: 'mqtt', resource: 'plant/secret/#', operation: 'write', effect: 'deny' };
      await createUser({
        username: 'approver-deny',
        password: 'Approver-passw0rd-2',
        permissions: [
          { context: 'http', resource: '/api/client-registry/#', operation: 'readWrite' },
          { context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 1 },
          deny,
        ],
      });
      const approver = await t.login('approver-deny', 'Approver-passw0rd-2');
      await unlock();
      const res = await register({ username: 'robot-2', password: PASSWORD }, 202);
      const grant = (permissions: unknown[], status: number) =>
        grantRequest(res.body.requestId, { permissions }, status, approver);
      const limited = { context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 1 };
      expect((await grant([limited], 403)).body.code).toBe('AUTH.ESCALATION'); // without the deny
      expect((await grant([{ ...limited, maxQos: 2 }, deny], 403)).body.code).toBe('AUTH.ESCALATION');
      const ok = await grant([limited, deny], 200);
      expect(ok.body.user.permissions).toEqual([
        expect.objectContaining({ ...limited, effect: 'allow' }),
        expect.objectContaining(deny),
      ]);
    });
  });

  describe('certificates of existing users (SPEC 2.3)', () => {
    it('POST /api/users/{id}/certificates issues one from a CSR (CN = username), DELETE revokes it', async () => {
      const user = (await createUser({ username: 'gateway-7', password: PASSWORD })).body;
      const issue = (csr: string, status: number) =>
        expectAnswer(gh(admin).certificates.issue({ path: { id: user.id }, body: { csr } }), status);
      const wrong = await opensslCsr(dir, 'someone-else');
      await issue(wrong.csr, 400);
      const key = await opensslCsr(dir, 'gateway-7');
      const issued = await issue(key.csr, 201);
      expect(issued.body).toEqual({
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        serial: expect.stringMatching(/^[0-9a-f]+$/),
        notBefore: expect.any(String),
        notAfter: expect.any(String),
        certificate: expect.stringContaining('BEGIN CERTIFICATE'),
        caCertificate: expect.stringContaining('BEGIN CERTIFICATE'),
      });
      const days = (Date.parse(issued.body.notAfter) - Date.now()) / 86_400_000;
      expect(Math.round(days)).toBe(365);
      expect(await opensslVerify(dir, issued.body.caCertificate, issued.body.certificate)).toMatch(/: OK/);
      const after = await getUser(user.id);
      expect(after.certificates).toEqual([
        expect.objectContaining({
          fingerprint: issued.body.fingerprint,
          serial: issued.body.serial,
          revokedAt: null,
        }),
      ]);
      expect(after.grantTypes.map((g: { method: string }) => g.method)).toContain('certificate');

      const revoke = (fingerprint: string, status: number) =>
        expectAnswer(gh(admin).certificates.revoke({ path: { id: user.id, fingerprint } }), status);
      await revoke(issued.body.fingerprint, 204);
      const revoked = await getUser(user.id);
      expect(revoked.certificates[0].revokedAt).not.toBeNull();
      await revoke('0'.repeat(64), 404);
    });

    it('DELETE of a certificate needs every permission of its owner (ADR 0004): 403, and it stays valid', async () => {
      const owner = (
        await createUser({
          username: 'gateway-8',
          password: PASSWORD,
          permissions: [{ context: 'mqtt', resource: 'plant/#', operation: 'readWrite' }],
        })
      ).body;
      const key = await opensslCsr(dir, 'gateway-8');
      const issued = await expectAnswer(
        gh(admin).certificates.issue({ path: { id: owner.id }, body: { csr: key.csr } }),
        201,
      );
      await createUser({
        username: 'cert-operator',
        password: PASSWORD,
        permissions: [{ context: 'http', resource: '/api/users/#', operation: 'readWrite' }],
      });
      const operator = await t.login('cert-operator', PASSWORD);
      const revoke = (token: string, status: number) =>
        expectAnswer(
          gh(token).certificates.revoke({ path: { id: owner.id, fingerprint: issued.body.fingerprint } }),
          status,
        );
      const refused = await revoke(operator, 403);
      expect(refused.body).toMatchObject({ code: 'AUTH.ESCALATION' });
      const after = await getUser(owner.id);
      expect(after.certificates[0].revokedAt).toBeNull();
      await revoke(admin, 204);
    });
  });
});
