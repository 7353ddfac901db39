import { insertTestUser, useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { CertificateRepository } from './certificate.repository';

const DAY = 86_400_000;
const fp = (c: string) => c.repeat(64);

/** CertificateRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('CertificateRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({ certs: new CertificateRepository(ds) }));
  let userId: string;

  const record = (fingerprint: string, fromDays: number, toDays: number, owner = userId) =>
    t.certs.insert(owner, {
      fingerprint,
      serial: fingerprint.slice(0, 8),
      notBefore: new Date(Date.now() + fromDays * DAY),
      notAfter: new Date(Date.now() + toDays * DAY),
    });

  beforeEach(async () => {
    await t.ds.query('DELETE FROM users');
    userId = await insertTestUser(t.ds, 'Device-1');
  });

  it('finds an active certificate only under its user’s exact name, inside its validity, not revoked', async () => {
    await record(fp('a'), -1, 30);
    await record(fp('b'), -30, -1); // expired
    await record(fp('c'), 1, 30); // not valid yet
    await record(fp('d'), -1, 30);
    const revoked = await t.certs.findOfUser(userId, fp('d'));
    await t.certs.markRevoked(revoked!.id);
    await expect(t.certs.findActive('Device-1', fp('a'))).resolves.toEqual({
      userId,
      grantTypes: [{ method: 'password', isRequired: false }],
      notAfter: expect.any(Date),
    });
    await expect(t.certs.findActive('device-1', fp('a'))).resolves.toBeNull();
    for (const c of ['b', 'c', 'd', 'e'])
      await expect(t.certs.findActive('Device-1', fp(c))).resolves.toBeNull();
  });

  it('finds a certificate of one user only, revoked or not', async () => {
    const other = await insertTestUser(t.ds, 'other');
    await record(fp('f'), -1, 30);
    await expect(t.certs.findOfUser(other, fp('f'))).resolves.toBeNull();
    const found = await t.certs.findOfUser(userId, fp('f'));
    expect(found).toMatchObject({ userId, fingerprint: fp('f'), serial: 'ffffffff', revokedAt: null });
    await t.certs.markRevoked(found!.id);
    expect((await t.certs.findOfUser(userId, fp('f')))?.revokedAt).toBeInstanceOf(Date);
  });
});
