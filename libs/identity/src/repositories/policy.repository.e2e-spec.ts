import { Transactions } from '@gatehouse/persistence';
import { useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { PolicyRepository } from './policy.repository';

/** PolicyRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL): set-based writes. */
describe('PolicyRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({
    policy: new PolicyRepository(ds),
    tx: new Transactions(ds),
  }));

  beforeEach(async () => {
    await t.ds.query('DELETE FROM users');
    await t.ds.query('DELETE FROM roles WHERE NOT built_in');
    await t.ds.query('DELETE FROM policy_bootstrap');
  });

  it('writes 20,000 users with 2 permissions and a role each (one statement per table, past the 65,535-parameter limit), and reads them back', async () => {
    const n = 20_000;
    await t.tx.run(async (tx) => {
      const roles = await t.policy.insertRoles(
        [{ name: 'line', description: 'd', externalGroups: ['Ops', 'cn=x,dc=y'] }],
        tx,
      );
      const ids = await t.policy.insertUsers(
        Array.from({ length: n }, (_, i) => ({ username: `dev-${i}`, enabled: i % 2 === 0 })),
        [{ method: 'password', isRequired: false }],
        tx,
      );
      expect(ids.size).toBe(n);
      const owners = [...ids.values()];
      await t.policy.replacePermissions(
        'user_id',
        owners,
        owners.flatMap((owner, i) => [
          {
            owner,
            position: 0,
            permission: { context: 'mqtt' as const, resource: `d/${i}/#`, operation: 'readWrite' as const },
          },
          {
            owner,
            position: 1,
            permission: {
              context: 'mqtt' as const,
              resource: `t/${i}`,
              operation: 'write' as const,
              maxQos: 1 as const,
              retain: false,
            },
          },
        ]),
        tx,
      );
      await t.policy.replaceAssignments(
        owners,
        owners.map((userId) => ({ userId, roleId: roles.get('line') as string })),
        tx,
      );
    });
    const users = await t.tx.run((tx) => t.policy.users(tx, false));
    expect(users).toHaveLength(n);
    const dev7 = users.find((u) => u.username === 'dev-7');
    expect(dev7).toMatchObject({ enabled: false, externalGroups: null, roleIds: [expect.any(String)] });
    expect(dev7?.permissions).toEqual([
      { context: 'mqtt', resource: 'd/7/#', operation: 'readWrite', effect: 'allow' },
      { context: 'mqtt', resource: 't/7', operation: 'write', effect: 'allow', maxQos: 1, retain: false },
    ]);
    const roles = await t.tx.run((tx) => t.policy.roles(tx, true));
    expect(roles.find((r) => r.name === 'line')).toMatchObject({
      externalGroups: ['Ops', 'cn=x,dc=y'],
      builtIn: false,
    });
  });

  it('updates and deletes by id lists, and appends role versions with their numbers', async () => {
    const ids = await t.tx.run(async (tx) => {
      const roles = await t.policy.insertRoles([{ name: 'a', description: null, externalGroups: [] }], tx);
      const users = await t.policy.insertUsers(
        [
          { username: 'u-1', enabled: true },
          { username: 'u-2', enabled: true },
        ],
        [],
        tx,
      );
      return {
        role: roles.get('a') as string,
        u1: users.get('u-1') as string,
        u2: users.get('u-2') as string,
      };
    });
    await t.tx.run(async (tx) => {
      await t.policy.updateRoles([{ id: ids.role, description: 'new', externalGroups: ['g'] }], tx);
      await t.policy.updateUsers([{ id: ids.u1, enabled: false }], tx);
      await t.policy.bumpPermissionsVersions([ids.u1], tx);
      await t.policy.deleteUsers([ids.u2], tx);
      await t.policy.appendRoleVersions(
        [
          {
            roleId: ids.role,
            version: 1,
            content: { name: 'a', description: null, permissions: [] },
            kind: 'backfill',
            changes: null,
            actor: null,
          },
          {
            roleId: ids.role,
            version: 2,
            content: { name: 'a', description: 'new', permissions: [] },
            kind: 'update',
            changes: { description: { before: null, after: 'new' } },
            actor: { id: ids.u1, username: 'u-1' },
          },
        ],
        tx,
      );
    });
    const [role] = await t.ds.query<{ description: string; external_groups: string[]; version: number }[]>(
      `SELECT description, external_groups, version FROM roles WHERE id = $1`,
      [ids.role],
    );
    expect(role).toEqual({ description: 'new', external_groups: ['g'], version: 2 });
    const users = await t.ds.query<unknown[]>(
      `SELECT username, enabled, version, permissions_version FROM users ORDER BY username`,
    );
    expect(users).toEqual([{ username: 'u-1', enabled: false, version: 2, permissions_version: 1 }]);
    const latest = await t.tx.run((tx) => t.policy.latestRoleVersions([ids.role], tx));
    expect(latest.get(ids.role)).toBe(2);
    await t.tx.run((tx) => t.policy.deleteRoles([ids.role], tx));
    await expect(t.ds.query(`SELECT 1 FROM role_versions WHERE role_id = $1`, [ids.role])).resolves.toEqual(
      [],
    );
  });

  it('records the bootstrap once', async () => {
    await expect(t.tx.run((tx) => t.policy.bootstrapRecorded(tx))).resolves.toBe(false);
    await t.tx.run((tx) => t.policy.recordBootstrap('ab'.repeat(32), { roles: {} }, tx));
    await expect(t.tx.run((tx) => t.policy.bootstrapRecorded(tx))).resolves.toBe(true);
    await expect(t.tx.run((tx) => t.policy.recordBootstrap('cd'.repeat(32), {}, tx))).rejects.toThrow();
  });
});
