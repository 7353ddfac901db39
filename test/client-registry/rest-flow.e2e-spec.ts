/**
 * Issue 4 "Done when" 1, 3, 4, 6 (REST flow): locked → 423, unlock, a device POSTs an openssl CSR,
 * pairing ID on both sides, grant, the poll collects a certificate `openssl verify` accepts.
 */
import { DataSource } from 'typeorm';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';
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
  const auth = () => ({ authorization: `Bearer ${admin}` });
  const requests = async (state?: string) =>
    (
      await t.http
        .get(`/api/client-registry/requests${state ? `?state=${state}` : ''}`)
        .set(auth())
        .expect(200)
    ).body.items as {
      id: string;
      username: string;
      pairingId: string;
      state: string;
      attempts: number;
      hasCsr: boolean;
      hasPassword: boolean;
    }[];
  const unlock = () => t.http.post('/api/client-registry/unlock').set(auth()).send({}).expect(200);
  const lock = () => t.http.post('/api/client-registry/lock').set(auth()).send({}).expect(200);

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
    expect((await t.http.get('/api/client-registry').set(auth()).expect(200)).body).toEqual({
      state: 'locked',
      unlockedUntil: null,
    });
    const res = await t.http.post(REGISTER).send({ username: 'dev-locked', password: PASSWORD }).expect(423);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('REGISTRY.LOCKED');
    expect(await requests()).toEqual([]);
  });

  it('the registry routes need a token and an http permission; register is public', async () => {
    await t.http.get('/api/client-registry').expect(401);
    await t.http.post('/api/client-registry/unlock').send({}).expect(401);
    await t.http.get('/api/client-registry/requests').expect(401);
    await t.http.post(REGISTER).send({ username: 'x' }).expect(400);
  });

  it('unlock takes a duration (default 5 min, max 1 h); lock locks', async () => {
    const before = Date.now();
    const res = await unlock();
    expect(res.body.state).toBe('unlocked');
    const until = Date.parse(res.body.unlockedUntil);
    expect(until - before).toBeGreaterThan(290_000);
    expect(until - before).toBeLessThan(310_000);
    await t.http.post('/api/client-registry/unlock').set(auth()).send({ durationMs: 3_600_001 }).expect(400);
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
      const res = await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: PASSWORD, csr: device.csr, context: 'hall 3' })
        .expect(202);
      expect(res.body).toEqual({
        requestId: expect.any(String),
        pairingId: expect.stringMatching(/^[0-9A-F]{6}$/),
        state: 'pending',
      });
      requestId = res.body.requestId;
      pairingId = res.body.pairingId;
      const again = await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: PASSWORD, csr: device.csr })
        .expect(202);
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
      const res = await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: 'Other-passw0rd-2', csr: device.csr })
        .expect(409);
      expect(res.body.code).toBe('REGISTRY.CONFLICT');
      const other = await opensslCsr(dir, 'press-17', 'press-17-other');
      await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: PASSWORD, csr: other.csr })
        .expect(409);
      await t.http.post(REGISTER).send({ username: 'press-17', password: PASSWORD }).expect(409);
      const [r] = (await requests('pending')).filter((x) => x.username === 'press-17');
      expect(r).toMatchObject({ id: requestId, pairingId, attempts: 2 });
    });

    it('pending requests stay pollable after the registry locks', async () => {
      await lock();
      await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: PASSWORD, csr: device.csr })
        .expect(202);
    });

    it('grant → the next poll answers 201 with a certificate that `openssl verify` accepts against the Gatehouse CA', async () => {
      const granted = await t.http
        .post(`/api/client-registry/requests/${requestId}/grant`)
        .set(auth())
        .send({})
        .expect(200);
      expect(granted.body.request).toMatchObject({ id: requestId, state: 'granted', pairingId });
      const user = granted.body.user;
      expect(user).toMatchObject({ username: 'press-17', roles: [], permissions: [] });
      expect(user.grantTypes.map((g: { method: string }) => g.method).sort()).toEqual([
        'certificate',
        'password',
      ]);
      expect(user.certificates).toHaveLength(1);

      const res = await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: PASSWORD, csr: device.csr })
        .expect(201);
      expect(res.body).toEqual({
        username: 'press-17',
        certificate: expect.stringContaining('BEGIN CERTIFICATE'),
        caCertificate: expect.stringContaining('BEGIN CERTIFICATE'),
      });
      expect(await opensslVerify(dir, res.body.caCertificate, res.body.certificate)).toMatch(/: OK/);
      const text = await opensslText(dir, res.body.certificate);
      expect(text).toMatch(/subject=CN\s?=\s?press-17/);
      expect(text).toMatch(/TLS Web Client Authentication/);
      // the fingerprint recorded on the user is the certificate's
      const { X509Certificate } = await import('node:crypto');
      const fp = new X509Certificate(res.body.certificate).fingerprint256.replace(/:/g, '').toLowerCase();
      expect(user.certificates[0].fingerprint).toBe(fp);

      // later polls: the same certificate (grace period); other credentials: 409
      const again = await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: PASSWORD, csr: device.csr })
        .expect(201);
      expect(again.body.certificate).toBe(res.body.certificate);
      await t.http
        .post(REGISTER)
        .send({ username: 'press-17', password: 'Other-passw0rd-2', csr: device.csr })
        .expect(409);
    });

    it('the granted user logs in over HTTP with the password and has no permissions', async () => {
      const token = await t.login('press-17', PASSWORD);
      await t.http
        .get('/api/users')
        .set({ authorization: `Bearer ${token}` })
        .expect(403);
    });

    it('a granted request cannot be granted or rejected again', async () => {
      await t.http.post(`/api/client-registry/requests/${requestId}/grant`).set(auth()).send({}).expect(409);
      await t.http.post(`/api/client-registry/requests/${requestId}/reject`).set(auth()).send({}).expect(409);
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
      const res = await t.http
        .post(REGISTER)
        .send(await body())
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await requests()).length).toBe(before);
    });

    it('wrong content type → 415; oversized body → 413', async () => {
      await t.http.post(REGISTER).set('content-type', 'text/plain').send('username=valve-9').expect(415);
      await t.http
        .post(REGISTER)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ username: 'valve-9', password: PASSWORD, context: 'x'.repeat(70_000) }))
        .expect(413);
      await t.http
        .post(REGISTER)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ username: 'valve-9', password: 'x'.repeat(2_000_000) }))
        .expect(413);
    });
  });

  describe('reject and expiry', () => {
    it('reject → the device poll answers 403 (REGISTRY.REJECTED); another device may not take the name over silently', async () => {
      await unlock();
      const res = await t.http.post(REGISTER).send({ username: 'pump-9', password: PASSWORD }).expect(202);
      await t.http
        .post(`/api/client-registry/requests/${res.body.requestId}/reject`)
        .set(auth())
        .send({})
        .expect(200);
      const poll = await t.http.post(REGISTER).send({ username: 'pump-9', password: PASSWORD }).expect(403);
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
      const res = await t.http.post(REGISTER).send({ username: 'pump-10', password: PASSWORD }).expect(202);
      // 24 hours later (SPEC 4): move the expiry into the past instead of waiting.
      await t.api.app
        .get(DataSource)
        .query(`UPDATE registration_requests SET expires_at = now() - interval '1 second' WHERE id = $1`, [
          res.body.requestId,
        ]);
      const grant = await t.http
        .post(`/api/client-registry/requests/${res.body.requestId}/grant`)
        .set(auth())
        .send({})
        .expect(409);
      expect(grant.body.code).toBe('REGISTRY.REQUEST_EXPIRED');
      expect((await requests('expired')).map((r) => r.id)).toContain(res.body.requestId);
      expect((await t.http.get('/api/users?username=pump-10').set(auth()).expect(200)).body.items).toEqual(
        [],
      );
    });
  });

  describe('no escalation on approval (SPEC 2.2)', () => {
    it('an approver who lacks a permission cannot grant it with the approval', async () => {
      await t.http
        .post('/api/users')
        .set(auth())
        .send({
          username: 'approver',
          password: 'Approver-passw0rd-1',
          permissions: [
            { context: 'http', resource: '/api/client-registry/#', operation: 'readWrite' },
            { context: 'mqtt', resource: 'plant/#', operation: 'write' },
          ],
        })
        .expect(201);
      const approver = await t.login('approver', 'Approver-passw0rd-1');
      await unlock();
      const res = await t.http.post(REGISTER).send({ username: 'robot-1', password: PASSWORD }).expect(202);
      const grant = (permissions: unknown[]) =>
        t.http
          .post(`/api/client-registry/requests/${res.body.requestId}/grant`)
          .set({ authorization: `Bearer ${approver}` })
          .send({ permissions });
      const refused = await grant([{ context: 'mqtt', resource: '#', operation: 'write' }]).expect(403);
      expect(refused.body.code).toBe('AUTH.ESCALATION');
      expect((await requests('pending')).map((r) => r.id)).toContain(res.body.requestId);
      const ok = await grant([{ context: 'mqtt', resource: 'plant/line1/#', operation: 'write' }]).expect(
        200,
      );
      expect(ok.body.user.permissions).toEqual([
        expect.objectContaining({ context: 'mqtt', resource: 'plant/line1/#', operation: 'write' }),
      ]);
    });
  });

  describe('denies and limits on approval (SPEC 1.4.6-7, ADR 0019)', () => {
    it('an approval grants denies and limits as sent; the approver’s own deny bounds what it grants', async () => {
      const deny = { context: 'mqtt', resource: 'plant/secret/#', operation: 'write', effect: 'deny' };
      await t.http
        .post('/api/users')
        .set(auth())
        .send({
          username: 'approver-deny',
          password: 'Approver-passw0rd-2',
          permissions: [
            { context: 'http', resource: '/api/client-registry/#', operation: 'readWrite' },
            { context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 1 },
            deny,
          ],
        })
        .expect(201);
      const approver = await t.login('approver-deny', 'Approver-passw0rd-2');
      await unlock();
      const res = await t.http.post(REGISTER).send({ username: 'robot-2', password: PASSWORD }).expect(202);
      const grant = (permissions: unknown[]) =>
        t.http
          .post(`/api/client-registry/requests/${res.body.requestId}/grant`)
          .set({ authorization: `Bearer ${approver}` })
          .send({ permissions });
      const limited = { context: 'mqtt', resource: 'plant/#', operation: 'write', maxQos: 1 };
      expect((await grant([limited]).expect(403)).body.code).toBe('AUTH.ESCALATION'); // without the deny
      expect((await grant([{ ...limited, maxQos: 2 }, deny]).expect(403)).body.code).toBe('AUTH.ESCALATION');
      const ok = await grant([limited, deny]).expect(200);
      expect(ok.body.user.permissions).toEqual([
        expect.objectContaining({ ...limited, effect: 'allow' }),
        expect.objectContaining(deny),
      ]);
    });
  });

  describe('certificates of existing users (SPEC 2.3)', () => {
    it('POST /api/users/{id}/certificates issues one from a CSR (CN = username), DELETE revokes it', async () => {
      const user = (
        await t.http
          .post('/api/users')
          .set(auth())
          .send({ username: 'gateway-7', password: PASSWORD })
          .expect(201)
      ).body;
      const wrong = await opensslCsr(dir, 'someone-else');
      await t.http
        .post(`/api/users/${user.id}/certificates`)
        .set(auth())
        .send({ csr: wrong.csr })
        .expect(400);
      const key = await opensslCsr(dir, 'gateway-7');
      const issued = await t.http
        .post(`/api/users/${user.id}/certificates`)
        .set(auth())
        .send({ csr: key.csr })
        .expect(201);
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
      const after = (await t.http.get(`/api/users/${user.id}`).set(auth()).expect(200)).body;
      expect(after.certificates).toEqual([
        expect.objectContaining({
          fingerprint: issued.body.fingerprint,
          serial: issued.body.serial,
          revokedAt: null,
        }),
      ]);
      expect(after.grantTypes.map((g: { method: string }) => g.method)).toContain('certificate');

      await t.http
        .delete(`/api/users/${user.id}/certificates/${issued.body.fingerprint}`)
        .set(auth())
        .expect(204);
      const revoked = (await t.http.get(`/api/users/${user.id}`).set(auth()).expect(200)).body;
      expect(revoked.certificates[0].revokedAt).not.toBeNull();
      await t.http
        .delete(`/api/users/${user.id}/certificates/${'0'.repeat(64)}`)
        .set(auth())
        .expect(404);
    });

    it('DELETE of a certificate needs every permission of its owner (ADR 0004): 403, and it stays valid', async () => {
      const owner = (
        await t.http
          .post('/api/users')
          .set(auth())
          .send({
            username: 'gateway-8',
            password: PASSWORD,
            permissions: [{ context: 'mqtt', resource: 'plant/#', operation: 'readWrite' }],
          })
          .expect(201)
      ).body;
      const key = await opensslCsr(dir, 'gateway-8');
      const issued = await t.http
        .post(`/api/users/${owner.id}/certificates`)
        .set(auth())
        .send({ csr: key.csr })
        .expect(201);
      await t.http
        .post('/api/users')
        .set(auth())
        .send({
          username: 'cert-operator',
          password: PASSWORD,
          permissions: [{ context: 'http', resource: '/api/users/#', operation: 'readWrite' }],
        })
        .expect(201);
      const operator = await t.login('cert-operator', PASSWORD);
      const refused = await t.http
        .delete(`/api/users/${owner.id}/certificates/${issued.body.fingerprint}`)
        .set({ authorization: `Bearer ${operator}` })
        .expect(403);
      expect(refused.body).toMatchObject({ code: 'AUTH.ESCALATION' });
      const after = (await t.http.get(`/api/users/${owner.id}`).set(auth()).expect(200)).body;
      expect(after.certificates[0].revokedAt).toBeNull();
      await t.http
        .delete(`/api/users/${owner.id}/certificates/${issued.body.fingerprint}`)
        .set(auth())
        .expect(204);
    });
  });
});
