import { insertTestRole, insertTestUser, useTestDataSource } from '@gatehouse/testing';
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
  const t = useTestDataSource(identityEntities, (ds) => ({ permissions: new PermissionRepository(ds) }));

  beforeEach(async () => {
    await t.ds.query('DELETE FROM users');
    await t.ds.query('DELETE FROM roles WHERE NOT built_in');
    await t.ds.query('DELETE FROM permissions'); // also the built-in roles': each test sees only its own
  });

  it('replaces an owner’s list as a whole and reads it back in the given order', async () => {
    const role = await insertTestRole(t.ds, 'r');
    const user = await insertTestUser(t.ds, 'u');
    await t.permissions.replace({ roleId: role }, [p('mqtt', 'old/#', 'read')]);
    await t.permissions.replace({ roleId: role }, [p('mqtt', 'z/#', 'read'), p('http', '/api/a', 'write')]);
    await t.permissions.replace({ userId: user }, [p('mqtt', 'mine', 'readWrite')]);
    const byRole = await t.permissions.findByOwners('role_id', [role, user]);
    expect([...byRole.keys()]).toEqual([role]);
    expect(rules(byRole.get(role) ?? [])).toEqual([p('mqtt', 'z/#', 'read'), p('http', '/api/a', 'write')]);
    const byUser = await t.permissions.findByOwners('user_id', [user]);
    expect(rules(byUser.get(user) ?? [])).toEqual([p('mqtt', 'mine', 'readWrite')]);
    await t.permissions.replace({ userId: user }, []);
    await expect(t.permissions.findByOwners('user_id', [user])).resolves.toEqual(new Map());
  });

  it('answers the effective permissions: direct ones first, then each role’s, each in its order', async () => {
    const user = await insertTestUser(t.ds, 'eff');
    const role = await insertTestRole(t.ds, 'line-1');
    await t.ds.query(`INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2)`, [user, role]);
    await t.permissions.replace({ roleId: role }, [p('mqtt', 'b', 'read'), p('mqtt', 'a', 'read')]);
    await t.permissions.replace({ userId: user }, [p('mqtt', 'a', 'read')]);
    const other = await insertTestUser(t.ds, 'other');
    await t.permissions.replace({ userId: other }, [p('mqtt', 'x', 'write')]);
    const rows = await t.permissions.findEffective(user);
    expect(rows.map((r) => [r.resource, r.roleId, r.roleName])).toEqual([
      ['a', null, null],
      ['b', role, 'line-1'],
      ['a', role, 'line-1'],
    ]);
    await expect(t.permissions.findEffective(await insertTestUser(t.ds, 'none'))).resolves.toEqual([]);
  });

  it('lists each distinct rule once with its holders, sorted, page after page', async () => {
    const alice = await insertTestUser(t.ds, 'alice');
    const bob = await insertTestUser(t.ds, 'bob');
    const role = await insertTestRole(t.ds, 'ops');
    await t.permissions.replace({ userId: alice }, [p('mqtt', 's/#', 'read'), p('http', '/api/x', 'read')]);
    await t.permissions.replace({ userId: bob }, [p('mqtt', 's/#', 'read')]);
    await t.permissions.replace({ roleId: role }, [p('mqtt', 's/#', 'read'), p('mqtt', 'a', 'write')]);
    const all = await t.permissions.listHolders({ limit: 10 });
    expect(all.map((h) => [h.context, h.resource, h.operation])).toEqual([
      ['http', '/api/x', 'read'],
      ['mqtt', 'a', 'write'],
      ['mqtt', 's/#', 'read'],
    ]);
    expect(all[0]).toMatchObject({ users: [{ id: alice, name: 'alice' }], roles: [] });
    expect(all[1]).toMatchObject({ users: [], roles: [{ id: role, name: 'ops' }] });
    expect(all[2].users.map((u) => u.name).sort()).toEqual(['alice', 'bob']);
    expect(all[2].roles).toEqual([{ id: role, name: 'ops' }]);
    const page = await t.permissions.listHolders({
      after: ['http', '/api/x', 'read', 'allow', 3, 2],
      limit: 1,
    });
    expect(page.map((h) => h.resource)).toEqual(['a']);
    await expect(
      t.permissions.listHolders({ after: ['mqtt', 's/#', 'read', 'allow', 3, 2], limit: 5 }),
    ).resolves.toEqual([]);
    // effect and limits are part of a permission (issue 11): an allow, a limited allow and a deny of one
    // resource are three, stored and read back as given, in key order
    await t.permissions.replace({ userId: bob }, [
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'deny' },
      { context: 'mqtt', resource: 'z', operation: 'write', maxQos: 1, retain: false },
      { context: 'mqtt', resource: 'z', operation: 'write' },
    ]);
    const z = (
      await t.permissions.listHolders({ after: ['mqtt', 's/#', 'read', 'allow', 3, 2], limit: 5 })
    ).map(({ users: _u, roles: _r, ...k }) => k);
    expect(z).toEqual([
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'allow', maxQos: 1, retain: false },
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'allow' },
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'deny' },
    ]);
    expect(
      (await t.permissions.findByOwners('user_id', [bob])).get(bob)?.map(({ id: _id, ...p }) => p),
    ).toEqual([
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'deny' },
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'allow', maxQos: 1, retain: false },
      { context: 'mqtt', resource: 'z', operation: 'write', effect: 'allow' },
    ]);
  });
});
