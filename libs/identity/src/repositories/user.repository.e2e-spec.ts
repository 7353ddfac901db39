import { isPgError, PgErrorCodes, Transactions } from '@gatehouse/persistence';
import { insertTestRole, useTestDataSource } from '@gatehouse/testing';
import { identityEntities } from '../entities';
import { type NewUser, UserRepository } from './user.repository';

const user = (username: string, more: Partial<NewUser> = {}): NewUser => ({
  username,
  passwordHash: null,
  grantTypes: [{ method: 'password', isRequired: false }],
  enabled: true,
  mqttPublishPrefix: null,
  enforceMfaEnrollment: false,
  passwordChangeRequired: false,
  ...more,
});

/** UserRepository on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). */
describe('UserRepository', () => {
  const t = useTestDataSource(identityEntities, (ds) => ({
    users: new UserRepository(ds),
    transactions: new Transactions(ds),
  }));

  beforeEach(() => t.ds.query('DELETE FROM users'));

  it('finds the stored spelling regardless of case, but the view only by the exact name (ADR 0007)', async () => {
    await t.users.insert(user('Casey'));
    await expect(t.users.findSpellingIgnoringCase('cASEY')).resolves.toBe('Casey');
    await expect(t.users.findSpellingIgnoringCase('Cas')).resolves.toBeNull();
    await expect(t.users.findViewByUsername('casey')).resolves.toBeNull();
    await expect(t.users.findViewByUsername('Casey')).resolves.toMatchObject({ username: 'Casey' });
    await expect(t.users.findWithPasswordHashByUsername('CASEY')).resolves.toBeNull();
  });

  it('refuses a second user whose name differs only in case, with a unique violation', async () => {
    await t.users.insert(user('admin'));
    const err = await t.users.insert(user('ADMIN')).catch((e: unknown) => e);
    expect(isPgError(err, PgErrorCodes.UNIQUE_VIOLATION)).toBe(true);
    await expect(t.users.count()).resolves.toBe(1);
  });

  it('bumps the version only while it is the expected one (the optimistic lock)', async () => {
    const id = await t.users.insert(user('ver'));
    await expect(t.users.bumpVersionIfCurrent(id, 1)).resolves.toBe(true);
    await expect(t.users.bumpVersionIfCurrent(id, 1)).resolves.toBe(false);
    await expect(t.users.findView(id)).resolves.toMatchObject({ version: 2 });
    await expect(t.users.bumpVersionIfCurrent(id, 2)).resolves.toBe(true);
    await expect(t.users.bumpVersionIfCurrent('00000000-0000-4000-8000-0000000000ff', 1)).resolves.toBe(
      false,
    );
  });

  it('lists views sorted by username, after the cursor, filtered by a case-insensitive substring', async () => {
    for (const name of ['dave', 'bob', 'alice', 'carol', 'x_y', 'xzy']) await t.users.insert(user(name));
    const names = async (q: Parameters<UserRepository['listViews']>[0]) =>
      (await t.users.listViews(q)).map((u) => u.username);
    await expect(names({ limit: 10 })).resolves.toEqual(['alice', 'bob', 'carol', 'dave', 'x_y', 'xzy']);
    await expect(names({ limit: 2 })).resolves.toEqual(['alice', 'bob']);
    await expect(names({ after: 'bob', limit: 2 })).resolves.toEqual(['carol', 'dave']);
    await expect(names({ usernameContains: 'O', limit: 10 })).resolves.toEqual(['bob', 'carol']);
    // LIKE wildcards in the filter match literally
    await expect(names({ usernameContains: '_', limit: 10 })).resolves.toEqual(['x_y']);
    await expect(names({ usernameContains: '%', limit: 10 })).resolves.toEqual([]);
  });

  it('reads a view with its roles, permissions in their order and certificates, in one query', async () => {
    const id = await t.users.insert(user('viewed', { mqttPublishPrefix: 'plant/' }));
    const [r1, r2] = [await insertTestRole(t.ds, 'r1'), await insertTestRole(t.ds, 'r2')];
    await t.ds.query(`INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2), ($1, $3)`, [id, r2, r1]);
    await t.ds.query(
      `INSERT INTO permissions (user_id, context, resource, operation, position)
       VALUES ($1, 'mqtt', 'b/#', 'read', 1), ($1, 'http', '/api/a', 'write', 0)`,
      [id],
    );
    await t.ds.query(
      `INSERT INTO user_certificates (user_id, fingerprint, serial, not_before, not_after)
       VALUES ($1, $2, '01', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z')`,
      [id, 'ab'.repeat(32)],
    );
    const [view] = await t.users.findViewsByIds([id]);
    expect(view).toMatchObject({
      id,
      username: 'viewed',
      mqttPublishPrefix: 'plant/',
      roles: [r1, r2].sort(),
      permissions: [
        { context: 'http', resource: '/api/a', operation: 'write' },
        { context: 'mqtt', resource: 'b/#', operation: 'read' },
      ],
      certificates: [
        {
          fingerprint: 'ab'.repeat(32),
          serial: '01',
          notBefore: new Date('2026-01-01T00:00:00Z'),
          notAfter: new Date('2027-01-01T00:00:00Z'),
          revokedAt: null,
        },
      ],
    });
    await expect(t.users.findView('00000000-0000-4000-8000-0000000000ff')).resolves.toBeNull();
  });

  it('updates only the given columns; a password change clears the initial-password flag', async () => {
    const id = await t.users.insert(user('upd', { passwordChangeRequired: true, passwordHash: 'old' }));
    await t.users.updateFields(id, { enabled: false });
    await t.users.updateFields(id, {});
    await expect(t.users.findView(id)).resolves.toMatchObject({
      enabled: false,
      passwordChangeRequired: true,
    });
    await t.users.setPassword(id, 'new-hash');
    await expect(t.users.findPasswordState(id)).resolves.toEqual({
      id,
      username: 'upd',
      passwordHash: 'new-hash',
      passwordChangeRequired: false,
    });
    await expect(t.users.findView(id)).resolves.toMatchObject({ version: 2, enabled: false });
    await expect(t.users.isPasswordChangeRequired(id)).resolves.toBe(false);
  });

  it('names the users still holding a generated password, sorted; unknown ids are not among them', async () => {
    await t.users.insert(user('zed', { passwordChangeRequired: true }));
    await t.users.insert(user('amy', { passwordChangeRequired: true }));
    const other = await t.users.insert(user('kim'));
    await expect(t.users.usernamesWithPasswordChangeRequired()).resolves.toEqual(['amy', 'zed']);
    await expect(t.users.isPasswordChangeRequired(other)).resolves.toBe(false);
    await expect(t.users.isPasswordChangeRequired('00000000-0000-4000-8000-0000000000ff')).resolves.toBe(
      false,
    );
  });

  it('reads the password hash only where asked for', async () => {
    await t.users.insert(user('hashed', { passwordHash: 'argon2-hash' }));
    await expect(t.users.findWithPasswordHashByUsername('hashed')).resolves.toMatchObject({
      username: 'hashed',
      passwordHash: 'argon2-hash',
    });
    expect(JSON.stringify(await t.users.findViewByUsername('hashed'))).not.toContain('argon2-hash');
  });

  it('replaces grant types with a version bump, and bumps permission versions of the listed users only', async () => {
    const a = await t.users.insert(user('ga'));
    const b = await t.users.insert(user('gb'));
    const grants = [
      { method: 'password' as const, isRequired: false },
      { method: 'certificate' as const, isRequired: true },
    ];
    await t.users.setGrantTypes(a, grants);
    await expect(t.users.findGrantTypes(a)).resolves.toEqual(grants);
    await expect(t.users.findGrantTypes('00000000-0000-4000-8000-0000000000ff')).resolves.toBeNull();
    await t.users.bumpPermissionsVersions([a]);
    await t.users.bumpPermissionsVersions([]);
    await expect(t.users.findPrincipal(a)).resolves.toEqual({
      id: a,
      username: 'ga',
      enabled: true,
      mqttPublishPrefix: null,
      permissionsVersion: 1,
      grantTypes: grants,
    });
    await expect(t.users.findPrincipal(b)).resolves.toMatchObject({ permissionsVersion: 0 });
    await expect(t.users.findView(a)).resolves.toMatchObject({ version: 2 });
  });

  it('records a login and deletes a user once', async () => {
    const id = await t.users.insert(user('gone'));
    const before = Date.now();
    await t.users.recordLogin(id);
    expect((await t.users.findView(id))?.lastLoginAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    await expect(t.users.delete(id)).resolves.toBe(true);
    await expect(t.users.delete(id)).resolves.toBe(false);
    await expect(t.users.findPrincipal(id)).resolves.toBeNull();
  });

  it('takes part in a transaction: sees its own writes inside, and nothing stays when it fails', async () => {
    const failed = t.transactions.run(async (tx) => {
      const id = await t.users.insert(user('rolled-back'), tx);
      await expect(t.users.findView(id, tx)).resolves.toMatchObject({ username: 'rolled-back' });
      throw new Error('abort');
    });
    await expect(failed).rejects.toThrow('abort');
    await expect(t.users.findViewByUsername('rolled-back')).resolves.toBeNull();
    // join() runs in the caller's transaction when given one (and rolls back with it), else in its own
    await expect(
      t.transactions.run(async (tx) => {
        await t.transactions.join(tx, (inner) => t.users.insert(user('joined'), inner));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await expect(t.users.findViewByUsername('joined')).resolves.toBeNull();
    await t.transactions.join(undefined, (tx) => t.users.insert(user('own'), tx));
    await expect(t.users.findViewByUsername('own')).resolves.not.toBeNull();
  });

  describe('federated users (SPEC 2.1a, ADR 0024)', () => {
    const dn = 'uid=alice,ou=people,dc=plant,dc=test';
    const federated = (username: string, subject = dn) => ({
      username,
      identityProvider: 'ldap' as const,
      externalIssuer: 'ldap',
      externalSubject: subject,
      externalGroups: ['operators'],
    });

    it('finds a federated user by (provider, directory, DN regardless of case), never by name', async () => {
      const id = await t.users.insertFederated(federated('alice'));
      await expect(t.users.findByExternalSubject('ldap', 'ldap', dn.toUpperCase())).resolves.toMatchObject({
        id,
        username: 'alice',
        identityProvider: 'ldap',
        passwordHash: null,
      });
      await expect(t.users.findByExternalSubject('ldap', 'other-directory', dn)).resolves.toBeNull();
      await expect(t.users.findByExternalSubject('oidc', 'ldap', dn)).resolves.toBeNull();
      // a local user of another name with the same "DN" text is no binding: local users have none
      await t.users.insert(user('bob'));
      await expect(
        t.users.findByExternalSubject('ldap', 'ldap', 'uid=bob,ou=people,dc=plant,dc=test'),
      ).resolves.toBeNull();
    });

    it('one binding per DN: a second user for the same DN is a unique violation, and a local user cannot carry one', async () => {
      await t.users.insertFederated(federated('alice'));
      const again = await t.users
        .insertFederated(federated('alice2', dn.toLowerCase()))
        .catch((e: unknown) => e);
      expect(isPgError(again, PgErrorCodes.UNIQUE_VIOLATION)).toBe(true);
      const local = await t.ds
        .query(
          `UPDATE users SET external_subject = 'uid=x' , external_issuer = 'ldap' WHERE username = 'alice'
                  AND identity_provider = 'ldap' RETURNING id`,
        )
        .then(() => t.ds.query(`UPDATE users SET identity_provider = 'local' WHERE username = 'alice'`))
        .catch((e: unknown) => e);
      expect(isPgError(local, '23514') /* check_violation */).toBe(true);
    });

    it('stores the groups and bumps permissions_version only when they change; finds users by group', async () => {
      const id = await t.users.insertFederated(federated('alice'));
      const version = async () =>
        (
          await t.ds.query<{ permissions_version: number }[]>(
            `SELECT permissions_version FROM users WHERE id = $1`,
            [id],
          )
        )[0].permissions_version;
      const v0 = await version();
      await expect(t.users.setExternalGroups(id, ['operators'])).resolves.toBe(false);
      await expect(version()).resolves.toBe(v0);
      await expect(t.users.setExternalGroups(id, ['engineers', 'operators'])).resolves.toBe(true);
      await expect(version()).resolves.toBe(v0 + 1);
      await expect(t.users.findView(id)).resolves.toMatchObject({
        externalGroups: ['engineers', 'operators'],
        groupRoles: [],
      });
      await expect(t.users.userIdsInGroups(['ENGINEERS'])).resolves.toEqual([id]);
      await expect(t.users.userIdsInGroups(['nobody'])).resolves.toEqual([]);
    });

    it('the view lists the roles the groups confer (cn or DN, regardless of case), apart from assigned roles', async () => {
      const id = await t.users.insertFederated(federated('alice'));
      const role = await insertTestRole(t.ds, 'ops');
      const other = await insertTestRole(t.ds, 'other');
      await t.ds.query(`UPDATE roles SET external_groups = '{Operators}' WHERE id = $1`, [role]);
      await t.ds.query(
        `UPDATE roles SET external_groups = '{"cn=other,ou=groups,dc=plant,dc=test"}' WHERE id = $1`,
        [other],
      );
      await expect(t.users.findView(id)).resolves.toMatchObject({ roles: [], groupRoles: [role] });
      await t.users.setExternalGroups(id, ['operators', 'cn=other,ou=groups,dc=plant,dc=test', 'other']);
      const view = await t.users.findView(id);
      expect([...(view?.groupRoles ?? [])].sort()).toEqual([role, other].sort());
      // a local user never gets group roles
      const local = await t.users.insert(user('carol'));
      await expect(t.users.findView(local)).resolves.toMatchObject({ groupRoles: [], externalGroups: null });
    });
  });
});
