import { Transactions } from '@gatehouse/persistence';
import { insertTestRole, useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import type { RoleContent } from '../identity.types';
import { RoleVersionRepository } from './role-version.repository';

const ADMIN_ROLE = '00000000-0000-4000-8000-000000000001';
const ACTOR = { id: '00000000-0000-4000-8000-0000000000aa', username: 'alice' };

const content = (name: string, extra: Partial<RoleContent> = {}): RoleContent => ({
  name,
  description: null,
  permissions: [],
  ...extra,
});

/** RoleVersionRepository and the role-versions migration on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('RoleVersionRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({ versions: new RoleVersionRepository(ds) }));

  beforeEach(async () => {
    await t.ds.query('DELETE FROM roles WHERE NOT built_in');
  });

  it('the migration gave every role that existed a version 1 with its content (built-in roles here)', async () => {
    const v1 = await t.versions.find(ADMIN_ROLE, 1);
    expect(v1).toMatchObject({
      roleId: ADMIN_ROLE,
      version: 1,
      kind: 'backfill',
      name: 'admin',
      rolledBackTo: null,
      changes: null,
      actor: null,
    });
    expect(v1?.permissions).toEqual([
      { context: 'mqtt', resource: '#', operation: 'readWrite', effect: 'allow' },
      { context: 'http', resource: '/#', operation: 'readWrite', effect: 'allow' },
    ]);
    await expect(t.versions.find(ADMIN_ROLE, 2)).resolves.toBeNull();
  });

  /** Undoes the newest migrations down to and including role_versions (later ones come after it). */
  const undoThroughRoleVersions = async (): Promise<void> => {
    const exists = async (): Promise<boolean> => {
      const rows = await t.ds.query<{ t: string | null }[]>(`SELECT to_regclass('role_versions') AS t`);
      return rows[0].t !== null;
    };
    for (let i = 0; i < 10 && (await exists()); i++) await t.ds.undoLastMigration();
  };

  it('backfills a role written before the migration: permissions in order, deny and limits as stored', async () => {
    await undoThroughRoleVersions();
    await expect(t.ds.query('SELECT 1 FROM role_versions')).rejects.toThrow();
    const id = await insertTestRole(t.ds, 'old-role');
    await t.ds.query(`UPDATE roles SET description = 'from before' WHERE id = $1`, [id]);
    await t.ds.query(
      `INSERT INTO permissions (role_id, context, resource, operation, effect, max_qos, retain, position) VALUES
         ($1, 'mqtt', 'plant/#', 'write', 'allow', 1, false, 0),
         ($1, 'mqtt', 'plant/secret/#', 'read', 'deny', NULL, NULL, 1),
         ($1, 'http', '/api/roles', 'read', 'allow', NULL, NULL, 2)`,
      [id],
    );
    await t.ds.runMigrations();
    const v1 = await t.versions.latest(id);
    expect(v1).toMatchObject({ version: 1, kind: 'backfill', name: 'old-role', description: 'from before' });
    expect(v1?.permissions).toEqual([
      { context: 'mqtt', resource: 'plant/#', operation: 'write', effect: 'allow', maxQos: 1, retain: false },
      { context: 'mqtt', resource: 'plant/secret/#', operation: 'read', effect: 'deny' },
      { context: 'http', resource: '/api/roles', operation: 'read', effect: 'allow' },
    ]);
    // a role without permissions starts with an empty list
    const bare = await insertTestRole(t.ds, 'bare');
    await undoThroughRoleVersions();
    await t.ds.runMigrations();
    await expect(t.versions.latest(bare)).resolves.toMatchObject({ version: 1, permissions: [] });
  });

  it('appends 1, 2, 3 per role, each role counting on its own, and keeps what was written', async () => {
    const a = await insertTestRole(t.ds, 'a');
    const b = await insertTestRole(t.ds, 'b');
    const perms = [
      {
        context: 'mqtt' as const,
        resource: 'x/#',
        operation: 'write' as const,
        effect: 'allow' as const,
        maxQos: 0 as const,
        retain: false,
      },
    ];
    const v1 = await t.versions.append({
      roleId: a,
      content: content('a', { description: 'first', permissions: perms }),
      kind: 'create',
      changes: { name: { before: null, after: 'a' } },
      actor: ACTOR,
    });
    expect(v1).toMatchObject({
      version: 1,
      kind: 'create',
      actor: ACTOR,
      permissions: perms,
      description: 'first',
    });
    expect(v1.createdAt).toBeInstanceOf(Date);
    await expect(
      t.versions.append({ roleId: b, content: content('b'), kind: 'create', changes: null, actor: null }),
    ).resolves.toMatchObject({ version: 1, roleId: b, actor: null });
    const v2 = await t.versions.append({
      roleId: a,
      content: content('a2'),
      kind: 'update',
      changes: { name: { before: 'a', after: 'a2' } },
      actor: ACTOR,
    });
    const v3 = await t.versions.append({
      roleId: a,
      content: content('a', { description: 'first', permissions: perms }),
      kind: 'rollback',
      rolledBackTo: 1,
      changes: { name: { before: 'a2', after: 'a' } },
      actor: ACTOR,
    });
    expect([v2.version, v3.version]).toEqual([2, 3]);
    await expect(t.versions.find(a, 3)).resolves.toEqual(v3);
    expect(v3).toMatchObject({
      kind: 'rollback',
      rolledBackTo: 1,
      changes: { name: { before: 'a2', after: 'a' } },
    });
    await expect(t.versions.latest(a)).resolves.toMatchObject({ version: 3 });
    await expect(t.versions.latest(b)).resolves.toMatchObject({ version: 1 });
  });

  it('refuses a rollback without the version it restored, and a version number twice', async () => {
    const a = await insertTestRole(t.ds, 'a');
    await expect(
      t.versions.append({ roleId: a, content: content('a'), kind: 'rollback', changes: null, actor: null }),
    ).rejects.toThrow(/ck_role_versions_rollback/);
    await t.versions.append({ roleId: a, content: content('a'), kind: 'create', changes: null, actor: null });
    await expect(
      t.ds.query(
        `INSERT INTO role_versions (role_id, version, name, permissions, kind) VALUES ($1, 1, 'a', '[]', 'update')`,
        [a],
      ),
    ).rejects.toThrow(/duplicate key|unique/i);
  });

  it('lists newest first, in pages below the cursor', async () => {
    const a = await insertTestRole(t.ds, 'a');
    for (let i = 1; i <= 5; i++)
      await t.versions.append({
        roleId: a,
        content: content(`a${i}`),
        kind: 'update',
        changes: null,
        actor: null,
      });
    const numbers = async (q: { before?: number; limit: number }) =>
      (await t.versions.list(a, q)).map((v) => v.version);
    await expect(numbers({ limit: 10 })).resolves.toEqual([5, 4, 3, 2, 1]);
    await expect(numbers({ limit: 2 })).resolves.toEqual([5, 4]);
    await expect(numbers({ before: 4, limit: 2 })).resolves.toEqual([3, 2]);
    await expect(numbers({ before: 1, limit: 2 })).resolves.toEqual([]);
    await expect(t.versions.list('00000000-0000-4000-8000-0000000000ff', { limit: 2 })).resolves.toEqual([]);
  });

  it('a failed transaction leaves no version; deleting the role deletes its history', async () => {
    const a = await insertTestRole(t.ds, 'a');
    const failed = new Transactions(t.ds).run(async (tx) => {
      await t.versions.append(
        { roleId: a, content: content('a'), kind: 'create', changes: null, actor: null },
        tx,
      );
      throw new Error('the role write failed');
    });
    await expect(failed).rejects.toThrow('the role write failed');
    await expect(t.versions.latest(a)).resolves.toBeNull();
    await t.versions.append({ roleId: a, content: content('a'), kind: 'create', changes: null, actor: null });
    await t.ds.query('DELETE FROM roles WHERE id = $1', [a]);
    const [{ n }] = await t.ds.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM role_versions WHERE role_id = $1',
      [a],
    );
    expect(n).toBe(0);
  });
});
