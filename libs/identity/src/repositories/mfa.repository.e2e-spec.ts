import { randomBytes, randomUUID } from 'node:crypto';
import { insertTestUser, useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { MfaRepository } from './mfa.repository';
import { TokenRepository } from './token.repository';

/** MfaRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL); ADR 0020. */
describe('MfaRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({
    mfa: new MfaRepository(ds),
    tokens: new TokenRepository(ds),
  }));
  let userId: string;
  const sealed = () => randomBytes(49);
  const hash = () => randomBytes(32);

  beforeEach(async () => {
    await t.ds.query('DELETE FROM users');
    userId = await insertTestUser(t.ds, 'person');
  });

  it('a TOTP step is accepted once, and no older one after it, also when two requests race', async () => {
    await t.mfa.startPending(userId, sealed());
    const race = await Promise.all([t.mfa.useStep(userId, 100), t.mfa.useStep(userId, 100)]);
    expect(race.sort()).toEqual([false, true]);
    await expect(t.mfa.useStep(userId, 99)).resolves.toBe(false);
    await expect(t.mfa.useStep(userId, 101)).resolves.toBe(true);
  });

  it('a backup code is used once, and only by its user', async () => {
    const other = await insertTestUser(t.ds, 'other');
    const codes = [hash(), hash()];
    await t.mfa.startPending(userId, sealed());
    await expect(t.mfa.confirm(userId, codes, randomUUID())).resolves.toBe(true);
    await expect(t.mfa.useBackupCode(other, codes[0])).resolves.toBe(false);
    const race = await Promise.all([
      t.mfa.useBackupCode(userId, codes[0]),
      t.mfa.useBackupCode(userId, codes[0]),
    ]);
    expect(race.sort()).toEqual([false, true]);
    await expect(t.mfa.unusedBackupCodes(userId)).resolves.toBe(1);
    await t.mfa.replaceBackupCodes(userId, [hash()]);
    await expect(t.mfa.useBackupCode(userId, codes[1])).resolves.toBe(false);
  });

  it('confirming keeps the confirming token and revokes the others; no restart while confirmed', async () => {
    const keep = randomUUID();
    const other = randomUUID();
    for (const id of [keep, other])
      await t.tokens.insert({ id, userId, label: null, expiresAt: new Date(Date.now() + 3_600_000) });
    await expect(t.mfa.confirm(userId, [hash()], keep)).resolves.toBe(false); // nothing pending
    await t.mfa.startPending(userId, sealed());
    await expect(t.mfa.confirm(userId, [hash()], keep)).resolves.toBe(true);
    expect((await t.tokens.findUsable([keep, other])).map((r) => r.id)).toEqual([keep]);
    await expect(t.mfa.startPending(userId, sealed())).resolves.toBe(false);
    await expect(t.mfa.state(userId)).resolves.toEqual({ enrolled: true, enforced: false });
  });

  it('removing takes the enrolment and its codes; a confirmed one revokes every token; deleting the user cascades', async () => {
    await t.mfa.startPending(userId, sealed());
    await t.mfa.confirm(userId, [hash()], randomUUID());
    const token = randomUUID(); // issued after the confirmation (an MFA login)
    await t.tokens.insert({ id: token, userId, label: 'x', expiresAt: new Date(Date.now() + 3_600_000) });
    expect(await t.tokens.findUsable([token])).toHaveLength(1);
    await expect(t.mfa.remove(userId)).resolves.toBe(true);
    await expect(t.mfa.remove(userId)).resolves.toBe(false);
    await expect(t.mfa.find(userId)).resolves.toBeNull();
    await expect(t.tokens.findUsable([token])).resolves.toEqual([]);
    await t.mfa.startPending(userId, sealed());
    await t.ds.query('DELETE FROM users WHERE id = $1', [userId]);
    const rows = await t.ds.query<{ n: number }[]>(
      `SELECT (SELECT count(*) FROM user_mfa)::int + (SELECT count(*) FROM mfa_backup_codes)::int AS n`,
    );
    expect(rows[0].n).toBe(0);
  });
});
