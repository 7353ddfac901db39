import { insertTestRole, insertTestUser, openTestDataSource, type TestDataSource } from '@gatehouse/testing';
import type { DataSource } from 'typeorm';
import { identityEntities } from '../entities';
import type { PermissionInput } from '../identity.types';
import { PermissionRepository } from './permission.repository';

const p = (context: 'mqtt' | 'http', resource: string, operation: PermissionInput['operation']) => ({
  context,
  resource,
  operation,
});
const rules = (list: { context: string; resource: string; operation: string }[]) =>
  list.map(({ context, resource, operation }) => ({ context, resource, operation }));

/** PermissionRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('PermissionRepository', () => {
  let db: TestDataSource;
  let ds: DataSource;
  let permissions: PermissionRepository;

  beforeAll(async () => {
    db = await openTestDataSource(identityEntities);
    ds = db.dataSource;
    permissions = new PermissionRepository(ds);
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await ds.query('DELETE FROM users');
    await ds.query('DELETE FROM roles WHERE NOT built_in');
    await ds.query('DELETE FROM permissions'); // also the built-in roles': each test sees only its own
  });

  it('replaces an owner’s list as a whole and reads it back in the given order', async () => {
    const role = await insertTestRole(ds, 'r');
    const user = await insertTestUser(ds, 'u');
    await permissions.replace({ roleId: role }, [p('mqtt', 'old/#', 'read')]);
    await permissions.replace({ roleId: role }, [p('mqtt', 'z/#', 'read'), p('http', '/api/a', 'write')]);
    await permissions.replace({ userId: user }, [p('mqtt', 'mine', 'readWrite')]);
    const byRole = await permissions.findByOwners('role_id', [role, user]);
    expect([...byRole.keys()]).toEqual([role]);
    expect(rules(byRole.get(role) ?? [])).toEqual([p('mqtt', 'z/#', 'read'), p('http', '/api/a', 'write')]);
    const byUser = await permissions.findByOwners('user_id', [user]);
    expect(rules(byUser.get(user) ?? [])).toEqual([p('mqtt', 'mine', 'readWrite')]);
    await permissions.replace({ userId: user }, []);
    await expect(permissions.findByOwners('user_id', [user])).resolves.toEqual(new Map());
  });

  it('answers the effective permissions: direct ones first, then each role’s, each in its order', async () => {
    const user = await insertTestUser(ds, 'eff');
    const role = await insertTestRole(ds, 'line-1');
    await ds.query(`INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)`, [user, role]);
    await permissions.replace({ roleId: role }, [p('mqtt', 'b', 'read'), p('mqtt', 'a', 'read')]);
    await permissions.replace({ userId: user }, [p('mqtt', 'a', 'read')]);
    const other = await insertTestUser(ds, 'other');
    await permissions.replace({ userId: other }, [p('mqtt', 'x', 'write')]);
    const rows = await permissions.findEffective(user);
    expect(rows.map((r) => [r.resource, r.roleId, r.roleName])).toEqual([
      ['a', null, null],
      ['b', role, 'line-1'],
      ['a', role, 'line-1'],
    ]);
    await expect(permissions.findEffective(await insertTestUser(ds, 'none'))).resolves.toEqual([]);
  });

  it('lists each distinct rule once with its holders, sorted, page after page', async () => {
    const alice = await insertTestUser(ds, 'alice');
    const bob = await insertTestUser(ds, 'bob');
    const role = await insertTestRole(ds, 'ops');
    await permissions.replace({ userId: alice }, [p('mqtt', 's/#', 'read'), p('http', '/api/x', 'read')]);
    await permissions.replace({ userId: bob }, [p('mqtt', 's/#', 'read')]);
    await permissions.replace({ roleId: role }, [p('mqtt', 's/#', 'read'), p('mqtt', 'a', 'write')]);
    const all = await permissions.listHolders({ limit: 10 });
    expect(all.map((h) => [h.context, h.resource, h.operation])).toEqual([
      ['http', '/api/x', 'read'],
      ['mqtt', 'a', 'write'],
      ['mqtt', 's/#', 'read'],
    ]);
    expect(all[0]).toMatchObject({ users: [{ id: alice, name: 'alice' }], roles: [] });
    expect(all[1]).toMatchObject({ users: [], roles: [{ id: role, name: 'ops' }] });
    expect(all[2].users.map((u) => u.name).sort()).toEqual(['alice', 'bob']);
    expect(all[2].roles).toEqual([{ id: role, name: 'ops' }]);
    const page = await permissions.listHolders({ after: ['http', '/api/x', 'read'], limit: 1 });
    expect(page.map((h) => h.resource)).toEqual(['a']);
    await expect(permissions.listHolders({ after: ['mqtt', 's/#', 'read'], limit: 5 })).resolves.toEqual([]);
  });
});
