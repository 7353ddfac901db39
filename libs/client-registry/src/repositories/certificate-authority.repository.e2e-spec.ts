import { useTestDataSource } from '@gatehouse/testing';
import { clientRegistryEntities } from '../entities';
import { CertificateAuthorityRepository } from './certificate-authority.repository';

/** CertificateAuthorityRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('CertificateAuthorityRepository', () => {
  const t = useTestDataSource(clientRegistryEntities, (ds) => ({
    cas: new CertificateAuthorityRepository(ds),
  }));

  it('keeps the CA stored first (a second instance loses the race) and reads it with its encrypted key', async () => {
    await expect(t.cas.findWithKey('gatehouse')).resolves.toBeNull();
    await t.cas.insertIfAbsent({ id: 'gatehouse', certificatePem: 'CERT-1', encryptedKeyPem: 'KEY-1' });
    await t.cas.insertIfAbsent({ id: 'gatehouse', certificatePem: 'CERT-2', encryptedKeyPem: 'KEY-2' });
    await expect(t.cas.findWithKey('gatehouse')).resolves.toEqual({
      id: 'gatehouse',
      certificatePem: 'CERT-1',
      encryptedKeyPem: 'KEY-1',
    });
    await expect(t.cas.findWithKey('other')).resolves.toBeNull();
  });
});
