import { useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { SigningKeyRepository } from './signing-key.repository';

/** SigningKeyRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('SigningKeyRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({ keys: new SigningKeyRepository(ds) }));

  it('keeps the first key stored under an id, and answers the oldest with its private half', async () => {
    await expect(t.keys.findOldestWithPrivateKey()).resolves.toBeNull();
    await t.keys.insertIfAbsent({
      id: 'k2',
      algorithm: 'ES256',
      publicJwk: { x: 'pub2' },
      privateJwk: { d: 'priv2' },
    });
    await t.keys.insertIfAbsent({
      id: 'k2',
      algorithm: 'ES256',
      publicJwk: { x: 'other' },
      privateJwk: { d: 'other' },
    });
    await t.keys.insertIfAbsent({
      id: 'k1',
      algorithm: 'ES256',
      publicJwk: { x: 'pub1' },
      privateJwk: { d: 'priv1' },
    });
    await t.ds.query(`UPDATE signing_keys SET created_at = now() - interval '1 day' WHERE id = 'k1'`);
    await expect(t.keys.findOldestWithPrivateKey()).resolves.toMatchObject({
      id: 'k1',
      publicJwk: { x: 'pub1' },
      privateJwk: { d: 'priv1' },
    });
    await t.ds.query(`DELETE FROM signing_keys WHERE id = 'k1'`);
    await expect(t.keys.findOldestWithPrivateKey()).resolves.toMatchObject({
      id: 'k2',
      privateJwk: { d: 'priv2' },
    });
  });
});
