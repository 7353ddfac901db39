import { subject } from '@casl/ability';
import { RbacAbilityFactory } from './rbac-ability.factory';
import type { PermissionRule } from './permission.types';

describe('RbacAbilityFactory (CASL 7)', () => {
  const rules: PermissionRule[] = [
    { context: 'http', resource: '/api/users/#', operation: 'read' },
    { context: 'http', resource: '/api/roles/+', operation: 'write' },
    { context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' },
  ];
  const ability = new RbacAbilityFactory().createForRules(rules, { username: 'dev1' });

  it.each<['read' | 'write', string, boolean]>([
    ['read', '/api/users', true],
    ['read', '/api/users/1?x=y', true],
    ['write', '/api/users/1', false],
    ['write', '/api/roles/7', true],
    ['read', '/api/roles/7', false],
    ['read', '/api/me', false],
    ['read', 'api/users', false],
  ])("can(%s, subject('http', { path: %j })) = %s", (action, path, expected) => {
    expect(ability.can(action, subject('http', { path }))).toBe(expected);
    expect(ability.cannot(action, subject('http', { path }))).toBe(!expected);
  });

  it.each<['read' | 'write', string, boolean]>([
    ['write', 'devices/dev1/temp', true],
    ['read', 'devices/dev1/#', true],
    ['read', 'devices/+/temp', false],
    ['write', 'devices/dev2/temp', false],
  ])("can(%s, subject('mqtt', { topic: %j })) = %s", (action, topic, expected) => {
    expect(ability.can(action, subject('mqtt', { topic }))).toBe(expected);
  });

  it('relevantRuleFor returns the rule that decided', () => {
    expect(ability.relevantRuleFor('read', subject('http', { path: '/api/users' }))?.conditions).toEqual({
      context: 'http',
      access: 'read',
    });
    expect(ability.relevantRuleFor('read', subject('http', { path: '/api/x' }))).toBeNull();
  });

  it('denies untagged or malformed subjects', () => {
    // an untagged object is detected as 'Object', for which there is no rule
    expect(ability.can('read', { path: '/api/users' } as never)).toBe(false);
    expect(ability.can('read', subject('http', { path: 42 } as never))).toBe(false);
    expect(ability.can('read', subject('http', {} as never))).toBe(false);
  });

  it('an ability without http permissions has no http rule at all', () => {
    const none = new RbacAbilityFactory().createForRules([], { username: 'u' });
    expect(none.rules).toEqual([]);
    expect(none.can('read', subject('http', { path: '/api/me' }))).toBe(false);
    expect(none.can('read', 'http')).toBe(false);
  });

  it("asked with a subject type only, CASL answers 'may read some http resource'", () => {
    expect(ability.can('read', 'http')).toBe(true);
    expect(ability.can('write', 'http')).toBe(true);
  });
});
