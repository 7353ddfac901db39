import { useTestDataSource } from '@gatehouse/testing';
import { clientRegistryEntities } from '../entities';
import { RegistryStateRepository } from './registry-state.repository';

/** RegistryStateRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('RegistryStateRepository', () => {
  const t = useTestDataSource(clientRegistryEntities, (ds) => ({ state: new RegistryStateRepository(ds) }));

  it('starts locked, unlocks for a duration by the database clock, and locks again', async () => {
    await expect(t.state.findUnlockedUntil()).resolves.toBeNull();
    await t.state.unlockFor(90_000);
    const until = await t.state.findUnlockedUntil();
    const [{ now }] = await t.ds.query<{ now: Date }[]>('SELECT now() AS now');
    expect(until!.getTime() - now.getTime()).toBeGreaterThan(85_000);
    expect(until!.getTime() - now.getTime()).toBeLessThanOrEqual(90_000);
    await t.state.lock();
    await expect(t.state.findUnlockedUntil()).resolves.toBeNull();
  });
});
