import { openTestDataSource, type TestDataSource } from '@gatehouse/testing';
import type { DataSource } from 'typeorm';
import { clientRegistryEntities } from '../entities';
import { RegistryStateRepository } from './registry-state.repository';

/** RegistryStateRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('RegistryStateRepository', () => {
  let db: TestDataSource;
  let ds: DataSource;
  let state: RegistryStateRepository;

  beforeAll(async () => {
    db = await openTestDataSource(clientRegistryEntities);
    ds = db.dataSource;
    state = new RegistryStateRepository(ds);
  });
  afterAll(() => db?.close());

  it('starts locked, unlocks for a duration by the database clock, and locks again', async () => {
    await expect(state.findUnlockedUntil()).resolves.toBeNull();
    await state.unlockFor(90_000);
    const until = await state.findUnlockedUntil();
    const [{ now }] = await ds.query<{ now: Date }[]>('SELECT now() AS now');
    expect(until!.getTime() - now.getTime()).toBeGreaterThan(85_000);
    expect(until!.getTime() - now.getTime()).toBeLessThanOrEqual(90_000);
    await state.lock();
    await expect(state.findUnlockedUntil()).resolves.toBeNull();
  });
});
