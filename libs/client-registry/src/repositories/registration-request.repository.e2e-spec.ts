import { Transactions } from '@gatehouse/persistence';
import { insertTestUser, useTestDataSource } from '@gatehouse/testing';
import { clientRegistryEntities, type RegistrationState } from '../entities';
import {
  type NewRegistrationRequest,
  RegistrationRequestRepository,
} from './registration-request.repository';

const HOUR = 3_600_000;
const request = (username: string, more: Partial<NewRegistrationRequest> = {}): NewRegistrationRequest => ({
  username,
  source: 'rest',
  pairingId: 'ABC123',
  hasPassword: true,
  passwordHash: `hash-of-${username}`,
  expiresAt: new Date(Date.now() + HOUR),
  ...more,
});

/** RegistrationRequestRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('RegistrationRequestRepository', () => {
  const t = useTestDataSource(clientRegistryEntities, (ds) => ({
    requests: new RegistrationRequestRepository(ds),
    transactions: new Transactions(ds),
  }));

  /** Moves a request to a state by SQL (as a decision long ago would have). */
  const setState = (id: string, state: RegistrationState, set = '') =>
    t.ds.query(`UPDATE registration_requests SET state = $2 ${set} WHERE id = $1`, [id, state]);
  const hashOf = async (id: string) =>
    (
      await t.ds.query<{ password_hash: string | null; state: string }[]>(
        `SELECT password_hash, state FROM registration_requests WHERE id = $1`,
        [id],
      )
    )[0];

  beforeEach(() => t.ds.query('DELETE FROM registration_requests'));

  it('records one pending request per username regardless of case (null for the second)', async () => {
    const first = await t.requests.insertPending(request('Dev-1'));
    expect(first).toMatchObject({ username: 'Dev-1', state: 'pending' });
    await expect(t.requests.insertPending(request('DEV-1'))).resolves.toBeNull();
    await expect(t.requests.countPending()).resolves.toBe(1);
    await expect(t.requests.findPendingOtherSpelling('dev-1')).resolves.toBe('Dev-1');
    await expect(t.requests.findPendingOtherSpelling('Dev-1')).resolves.toBeNull(); // the same spelling
    await setState(first!.id, 'rejected');
    await expect(t.requests.findPendingOtherSpelling('dev-1')).resolves.toBeNull();
    await expect(t.requests.insertPending(request('DEV-1'))).resolves.not.toBeNull();
  });

  it('finds the newest request of a name in a state, with its hash', async () => {
    const old = await t.requests.insertPending(request('dev', { passwordHash: 'old' }));
    await setState(old!.id, 'rejected', `, created_at = now() - interval '1 hour'`);
    const newer = await t.requests.insertPending(request('dev', { passwordHash: 'newer' }));
    await setState(newer!.id, 'rejected');
    await expect(t.requests.findLatestWithHash('dev', 'rejected')).resolves.toMatchObject({
      id: newer!.id,
      passwordHash: 'newer',
    });
    await expect(t.requests.findLatestWithHash('dev', 'pending')).resolves.toBeNull();
    await expect(t.requests.findLatestWithHash('DEV', 'rejected')).resolves.toBeNull();
    expect(await t.requests.findById(newer!.id)).not.toHaveProperty('passwordHash', 'newer');
  });

  it('sweeps: expires pending requests past their expiry and drops hashes nobody can use', async () => {
    const expired = await t.requests.insertPending(
      request('p-expired', { expiresAt: new Date(Date.now() - 1000) }),
    );
    const live = await t.requests.insertPending(request('p-live'));
    const rejectedOld = await t.requests.insertPending(request('r-old'));
    await setState(rejectedOld!.id, 'rejected', `, expires_at = now() - interval '1 second'`);
    const rejectedNew = await t.requests.insertPending(request('r-new'));
    await setState(rejectedNew!.id, 'rejected');
    const grantedOld = await t.requests.insertPending(request('g-old'));
    await setState(grantedOld!.id, 'granted', `, decided_at = now() - interval '120 seconds'`);
    const grantedNew = await t.requests.insertPending(request('g-new'));
    await setState(grantedNew!.id, 'granted', `, decided_at = now() - interval '30 seconds'`);
    await t.requests.sweep(60);
    await expect(hashOf(expired!.id)).resolves.toEqual({ state: 'expired', password_hash: null });
    await expect(hashOf(live!.id)).resolves.toEqual({ state: 'pending', password_hash: 'hash-of-p-live' });
    await expect(hashOf(rejectedOld!.id)).resolves.toEqual({ state: 'rejected', password_hash: null });
    await expect(hashOf(rejectedNew!.id)).resolves.toEqual({
      state: 'rejected',
      password_hash: 'hash-of-r-new',
    });
    await expect(hashOf(grantedOld!.id)).resolves.toEqual({ state: 'granted', password_hash: null });
    await expect(hashOf(grantedNew!.id)).resolves.toEqual({
      state: 'granted',
      password_hash: 'hash-of-g-new',
    });
  });

  it('counts a poll, keeping the last known address when none is given', async () => {
    const r = await t.requests.insertPending(request('poller', { remoteAddress: '10.0.0.1' }));
    await t.requests.recordAttempt(r!.id, undefined);
    await expect(t.requests.findById(r!.id)).resolves.toMatchObject({
      attempts: 2,
      remoteAddress: '10.0.0.1',
    });
    await t.requests.recordAttempt(r!.id, '10.0.0.2');
    await expect(t.requests.findById(r!.id)).resolves.toMatchObject({
      attempts: 3,
      remoteAddress: '10.0.0.2',
    });
  });

  it('lists newest first, by state, page after page on (createdAt, id)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.requests.insertPending(request(`dev-${i}`));
      // dev-0 is the oldest; dev-3 and dev-4 were created at the same instant (the id breaks the tie)
      await t.ds.query(`UPDATE registration_requests SET created_at = $2 WHERE id = $1`, [
        r!.id,
        new Date(Date.UTC(2026, 0, 1, 0, Math.min(i, 3))),
      ]);
      ids.push(r!.id);
    }
    await setState(ids[1], 'rejected');
    const all = await t.requests.list({ limit: 10 });
    const tied = [ids[3], ids[4]].sort().reverse();
    expect(all.map((r) => r.id)).toEqual([...tied, ids[2], ids[1], ids[0]]);
    const first = await t.requests.list({ limit: 2 });
    const last = first[1];
    const rest = await t.requests.list({
      limit: 10,
      before: { createdAt: last.createdAt.toISOString(), id: last.id },
    });
    expect(rest.map((r) => r.id)).toEqual([ids[2], ids[1], ids[0]]);
    const pending = await t.requests.list({ state: 'pending', limit: 10 });
    expect(pending.map((r) => r.id)).toEqual([...tied, ids[2], ids[0]]);
  });

  it('records a grant and a rejection inside the deciding transaction, with the locked hash', async () => {
    const userId = await insertTestUser(t.ds, 'granted-dev');
    const g = await t.requests.insertPending(request('granted-dev'));
    const rj = await t.requests.insertPending(request('rejected-dev'));
    await t.transactions.run(async (tx) => {
      await expect(t.requests.lockForUpdate(g!.id, tx)).resolves.toMatchObject({
        passwordHash: 'hash-of-granted-dev',
      });
      await t.requests.markGranted(
        g!.id,
        { decidedBy: userId, userId, certificatePem: 'PEM', certificateFingerprint: 'f'.repeat(64) },
        tx,
      );
      await t.requests.markRejected(rj!.id, userId, tx);
    });
    await expect(t.requests.findById(g!.id)).resolves.toMatchObject({
      state: 'granted',
      decidedBy: userId,
      userId,
      certificatePem: 'PEM',
      certificateFingerprint: 'f'.repeat(64),
      decidedAt: expect.any(Date),
    });
    await expect(t.requests.findById(rj!.id)).resolves.toMatchObject({
      state: 'rejected',
      decidedBy: userId,
      userId: null,
    });
  });

  // PGlite has one connection, so two transactions never overlap there: the lock is observable on PostgreSQL
  (process.env.TEST_DATABASE_URL ? it : it.skip)(
    'lockForUpdate holds a second decision until the first commits, which then sees its outcome',
    async () => {
      const r = await t.requests.insertPending(request('contested'));
      let second: Promise<unknown> | undefined;
      await t.transactions.run(async (tx) => {
        await t.requests.lockForUpdate(r!.id, tx);
        second = t.transactions.run((tx2) => t.requests.lockForUpdate(r!.id, tx2));
        // wait until the second transaction is blocked on the row lock (an event, not a sleep)
        for (;;) {
          const [{ n }] = await t.ds.query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%registration_requests%'`,
          );
          if (n > 0) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        await t.requests.markRejected(r!.id, r!.id, tx);
      });
      await expect(second).resolves.toMatchObject({ state: 'rejected' });
    },
  );
});
