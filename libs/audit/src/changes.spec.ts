import { auditChanges, SECRET_MARK } from './changes';

describe('auditChanges (SPEC 6: before/after of what changed, secrets removed)', () => {
  const alice = {
    id: 'u1',
    username: 'alice',
    enabled: true,
    roles: ['r2', 'r1'],
    permissions: [{ id: 'p1', context: 'mqtt', resource: 'a/#', operation: 'read' }],
    passwordHash: '$argon2id$secret',
    totpSecret: 'JBSWY3DPEHPK3PXP',
    version: 3,
  };

  it('a create records every whitelisted field as after, and nothing that is not whitelisted', () => {
    const c = auditChanges('user', null, alice);
    expect(Object.keys(c ?? {}).sort()).toEqual(['enabled', 'permissions', 'roles', 'username']);
    expect(JSON.stringify(c)).not.toMatch(/argon2|JBSWY3DP|version/);
    expect(c?.username).toEqual({ before: null, after: 'alice' });
  });

  it('an update records only the fields that changed; list order and permission ids are not changes', () => {
    const after = {
      ...alice,
      roles: ['r1', 'r2'],
      permissions: [{ id: 'p9', context: 'mqtt', resource: 'a/#', operation: 'read' }],
      enabled: false,
      version: 4,
    };
    expect(auditChanges('user', alice, after)).toEqual({ enabled: { before: true, after: false } });
    expect(auditChanges('user', alice, { ...alice, version: 9 })).toBeNull();
  });

  it('a password change is a mark, never a value', () => {
    const c = auditChanges('user', alice, alice, ['password']);
    expect(c).toEqual({ password: { before: SECRET_MARK, after: SECRET_MARK } });
  });

  it('a type without a whitelist records nothing', () => {
    expect(auditChanges('certificate', null, { fingerprint: 'x', privateKey: 'k' })).toBeNull();
  });
});
