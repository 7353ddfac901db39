import { isPgError, PgErrorCodes, Transactions } from '@gatehouse/persistence';
import { insertTestUser, useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { RoleRepository } from './role.repository';

const UNKNOWN = '00000000-0000-4000-8000-0000000000ff';

/** RoleRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('RoleRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({ roles: new RoleRepository(ds) }));

  beforeEach(async () => {
    await t.ds.query('DELETE FROM users');
    await t.ds.query('DELETE FROM roles WHERE NOT built_in');
  });

  it('inserts a role that is not built in, and refuses a taken name with a unique violation', async () => {
    const id = await t.roles.insert({ name: 'operators', description: null });
    await expect(t.roles.findById(id)).resolves.toMatchObject({
      name: 'operators',
      builtIn: false,
      version: 1,
    });
    const err = await t.roles.insert({ name: 'operators', description: 'x' }).catch((e: unknown) => e);
    expect(isPgError(err, PgErrorCodes.UNIQUE_VIOLATION)).toBe(true);
    await expect(t.roles.findById(UNKNOWN)).resolves.toBeNull();
  });

  it('lists by name after the cursor, one name when asked, at most the limit', async () => {
    for (const name of ['delta', 'bravo', 'charlie']) await t.roles.insert({ name, description: null });
    const names = async (q: Parameters<RoleRepository['list']>[0]) =>
      (await t.roles.list(q)).map((r) => r.name);
    // the built-in roles "admin" and "minimum-access" are there too
    await expect(names({ limit: 10 })).resolves.toEqual([
      'admin',
      'bravo',
      'charlie',
      'delta',
      'minimum-access',
    ]);
    await expect(names({ after: 'bravo', limit: 2 })).resolves.toEqual(['charlie', 'delta']);
    await expect(names({ name: 'charlie', limit: 10 })).resolves.toEqual(['charlie']);
  });

  it('finds only the roles that exist among the ids', async () => {
    const a = await t.roles.insert({ name: 'a', description: null });
    const found = await t.roles.findByIds([a, UNKNOWN]);
    expect(found.map((r) => r.id)).toEqual([a]);
    await expect(t.roles.existingIds([UNKNOWN, a])).resolves.toEqual([a]);
    await expect(t.roles.existingIds([])).resolves.toEqual([]);
    await expect(t.roles.findByIds([])).resolves.toEqual([]);
  });

  it('updates while the version is the expected one: a name, a cleared or kept description', async () => {
    const id = await t.roles.insert({ name: 'old', description: 'kept' });
    await expect(t.roles.updateIfCurrent(id, 1, { name: 'new' })).resolves.toBe(true);
    await expect(t.roles.findById(id)).resolves.toMatchObject({
      name: 'new',
      description: 'kept',
      version: 2,
    });
    await expect(t.roles.updateIfCurrent(id, 1, { name: 'stale' })).resolves.toBe(false);
    await expect(t.roles.updateIfCurrent(id, 2, { description: null })).resolves.toBe(true);
    await expect(t.roles.findById(id)).resolves.toMatchObject({ name: 'new', description: null, version: 3 });
    await expect(t.roles.updateIfCurrent(UNKNOWN, 1, {})).resolves.toBe(false);
  });

  it('replaces a user’s assignments and answers who holds a role; deleting the role removes them', async () => {
    const [a, b] = [
      await t.roles.insert({ name: 'ra', description: null }),
      await t.roles.insert({ name: 'rb', description: null }),
    ];
    const u1 = await insertTestUser(t.ds, 'u1');
    const u2 = await insertTestUser(t.ds, 'u2');
    await t.roles.replaceAssignments(u1, [a, b]);
    await t.roles.replaceAssignments(u2, [a]);
    await t.roles.replaceAssignments(u1, [b]);
    await expect(t.roles.userIdsWithRole(a)).resolves.toEqual([u2]);
    expect((await t.roles.userIdsWithRole(b)).sort()).toEqual([u1]);
    await t.roles.replaceAssignments(u2, []);
    await expect(t.roles.userIdsWithRole(a)).resolves.toEqual([]);
    await new Transactions(t.ds).run((tx) => t.roles.delete(b, tx));
    await expect(t.roles.findById(b)).resolves.toBeNull();
    await expect(t.roles.userIdsWithRole(b)).resolves.toEqual([]);
  });

  it('stores externalGroups; its holders include federated users whose groups meet them, regardless of case (SPEC 2.1a)', async () => {
    const id = await t.roles.insert({ name: 'ops', description: null, externalGroups: ['Operators'] });
    await expect(t.roles.findById(id)).resolves.toMatchObject({ externalGroups: ['Operators'] });
    const assigned = await insertTestUser(t.ds, 'assigned');
    await t.roles.replaceAssignments(assigned, [id]);
    const [{ id: member }] = await t.ds.query<{ id: string }[]>(
      `INSERT INTO users (username, grant_types, identity_provider, external_issuer, external_subject, external_groups)
       VALUES ('member', '[]', 'ldap', 'ldap', 'uid=member,dc=plant,dc=test', '{operators}') RETURNING id`,
    );
    await t.ds.query(
      `INSERT INTO users (username, grant_types, identity_provider, external_issuer, external_subject, external_groups)
       VALUES ('outsider', '[]', 'ldap', 'ldap', 'uid=outsider,dc=plant,dc=test', '{engineers}')`,
    );
    expect((await t.roles.userIdsWithRole(id)).sort()).toEqual([assigned, member].sort());
    await expect(t.roles.updateIfCurrent(id, 1, { externalGroups: ['engineers'] })).resolves.toBe(true);
    await expect(t.roles.findById(id)).resolves.toMatchObject({ externalGroups: ['engineers'], version: 2 });
    const holders = await t.roles.userIdsWithRole(id);
    expect(holders).toContain(assigned);
    expect(holders).not.toContain(member);
    expect(holders).toHaveLength(2);
    // an update without externalGroups keeps them
    await expect(t.roles.updateIfCurrent(id, 2, { description: 'x' })).resolves.toBe(true);
    await expect(t.roles.findById(id)).resolves.toMatchObject({ externalGroups: ['engineers'] });
  });
});
