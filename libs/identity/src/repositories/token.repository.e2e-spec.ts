import { randomUUID } from 'node:crypto';
import { Transactions } from '@gatehouse/persistence';
import { insertTestUser, useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { TokenRepository } from './token.repository';

const HOUR = 3_600_000;

/** TokenRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('TokenRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({ tokens: new TokenRepository(ds) }));
  let userId: string;

  const issue = async (label: string | null = null, expiresInMs = HOUR, owner = userId): Promise<string> => {
    const id = randomUUID();
    await t.tokens.insert({ id, userId: owner, label, expiresAt: new Date(Date.now() + expiresInMs) });
    return id;
  };
  const revokedAt = async (id: string): Promise<Date | null> =>
    (await t.ds.query<{ revoked_at: Date | null }[]>(`SELECT revoked_at FROM tokens WHERE id = $1`, [id]))[0]
      .revoked_at;

  beforeEach(async () => {
    await t.ds.query('DELETE FROM users');
    userId = await insertTestUser(t.ds, 'owner');
  });

  it('answers only the usable tokens: not revoked, not expired, of an enabled user', async () => {
    const login = await issue();
    const labelled = await issue('ci');
    const expired = await issue(null, -1000);
    const revoked = await issue();
    await t.tokens.revoke(userId, revoked);
    const disabledUser = await insertTestUser(t.ds, 'off', { enabled: false });
    const ofDisabled = await issue(null, HOUR, disabledUser);
    const rows = await t.tokens.findUsable([login, labelled, expired, revoked, ofDisabled, randomUUID()]);
    expect(rows.map((r) => [r.id, r.labelled]).sort()).toEqual(
      [
        [login, false],
        [labelled, true],
      ].sort(),
    );
    expect(rows[0]).toMatchObject({ user_id: userId, username: 'owner', permissions_version: 0 });
  });

  it('revokes a token once, and only for its own user', async () => {
    const id = await issue();
    const other = await insertTestUser(t.ds, 'other');
    await expect(t.tokens.revoke(other, id)).resolves.toBe(false);
    await expect(t.tokens.revoke(userId, id)).resolves.toBe(true);
    await expect(t.tokens.revoke(userId, id)).resolves.toBe(false);
    await expect(t.tokens.exists(userId, id)).resolves.toBe(true);
    await expect(t.tokens.exists(other, id)).resolves.toBe(false);
  });

  it('revokes the tokens of a kind (ADR 0011), leaving the others and earlier revocations as they were', async () => {
    const login = await issue();
    const labelled = await issue('api');
    const early = await issue('old');
    await t.ds.query(`UPDATE tokens SET revoked_at = now() - interval '1 day' WHERE id = $1`, [early]);
    const earlyAt = await revokedAt(early);
    await t.tokens.revokeKindsOfUser(userId, { login: false, labelled: false });
    await expect(t.tokens.findUsable([login, labelled])).resolves.toHaveLength(2);
    await new Transactions(t.ds).run((tx) =>
      t.tokens.revokeKindsOfUser(userId, { login: true, labelled: false }, tx),
    );
    expect((await t.tokens.findUsable([login, labelled])).map((r) => r.id)).toEqual([labelled]);
    await t.tokens.revokeAllOfUser(userId);
    await expect(t.tokens.findUsable([login, labelled])).resolves.toEqual([]);
    expect(await revokedAt(early)).toEqual(earlyAt);
  });

  it('lists the labelled tokens only, newest first', async () => {
    await issue();
    const first = await issue('first');
    await t.ds.query(`UPDATE tokens SET created_at = now() - interval '1 hour' WHERE id = $1`, [first]);
    const second = await issue('second');
    expect((await t.tokens.findLabelled(userId)).map((t) => t.id)).toEqual([second, first]);
  });

  it('writes the last use at most once per resolution', async () => {
    const id = await issue();
    const lastUsed = async () =>
      (
        await t.ds.query<{ last_used_at: Date | null }[]>(`SELECT last_used_at FROM tokens WHERE id = $1`, [
          id,
        ])
      )[0].last_used_at;
    await t.tokens.touchLastUsed([id], 60);
    const first = await lastUsed();
    expect(first).not.toBeNull();
    await t.ds.query(`UPDATE tokens SET last_used_at = now() - interval '30 seconds' WHERE id = $1`, [id]);
    const recent = await lastUsed();
    await t.tokens.touchLastUsed([id], 60);
    expect(await lastUsed()).toEqual(recent); // written 30 s ago: not again
    await t.ds.query(`UPDATE tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1`, [id]);
    await t.tokens.touchLastUsed([id], 60);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(recent!.getTime());
  });
});
