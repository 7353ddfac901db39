import { openTestDataSource, type TestDataSource } from '@gatehouse/testing';
import { clientRegistryEntities } from '../entities';
import { CertificateAuthorityRepository } from './certificate-authority.repository';

/** CertificateAuthorityRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('CertificateAuthorityRepository', () => {
  let db: TestDataSource;
  let cas: CertificateAuthorityRepository;

  beforeAll(async () => {
    db = await openTestDataSource(clientRegistryEntities);
    cas = new CertificateAuthorityRepository(db.dataSource);
  });
  afterAll(() => db?.close());

  it('keeps the CA stored first (a second instance loses the race) and reads it with its encrypted key', async () => {
    await expect(cas.findWithKey('gatehouse')).resolves.toBeNull();
    await cas.insertIfAbsent({ id: 'gatehouse', certificatePem: 'CERT-1', encryptedKeyPem: 'KEY-1' });
    await cas.insertIfAbsent({ id: 'gatehouse', certificatePem: 'CERT-2', encryptedKeyPem: 'KEY-2' });
    await expect(cas.findWithKey('gatehouse')).resolves.toEqual({
      id: 'gatehouse',
      certificatePem: 'CERT-1',
      encryptedKeyPem: 'KEY-1',
    });
    await expect(cas.findWithKey('other')).resolves.toBeNull();
  });
});
