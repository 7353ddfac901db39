import { grantingRules, ruleCoveredBy } from './granting-rules';
import type { PermissionOperation, PermissionRule } from './permission.types';
import { RbacError } from './rbac-error';

interface StoredRule extends PermissionRule {
  id: string;
}
const rule = (
  id: string,
  context: 'mqtt' | 'http',
  resource: string,
  operation: PermissionOperation,
): StoredRule => ({
  id,
  context,
  resource,
  operation,
});
const mqtt = (resource: string, operation: PermissionOperation = 'readWrite'): PermissionRule => ({
  context: 'mqtt',
  resource,
  operation,
});
const http = (resource: string, operation: PermissionOperation = 'readWrite'): PermissionRule => ({
  context: 'http',
  resource,
  operation,
});

describe('grantingRules (dry run grantedBy)', () => {
  const rules: StoredRule[] = [
    rule('all', 'mqtt', '#', 'read'),
    rule('mine', 'mqtt', 'devices/${username}/#', 'readWrite'),
    rule('line', 'mqtt', 'devices/+/temp', 'write'),
    rule('users', 'http', '/api/users/#', 'read'),
    rule('user', 'http', '/api/users/+', 'readWrite'),
  ];
  const vars = { username: 'dev1' };
  const ids = (found: StoredRule[]) => found.map((r) => r.id);

  it.each<[string, 'mqtt' | 'http', 'read' | 'write', string, string[]]>([
    ['publish own topic', 'mqtt', 'write', 'devices/dev1/temp', ['mine', 'line']],
    ['publish someone else', 'mqtt', 'write', 'devices/dev2/temp', ['line']],
    ['receive', 'mqtt', 'read', 'devices/dev2/temp', ['all']],
    ['subscribe filter (coverage)', 'mqtt', 'read', 'devices/dev1/#', ['all', 'mine']],
    ['write filter (coverage)', 'mqtt', 'write', 'devices/+/temp', ['line']],
    ['$ topic', 'mqtt', 'read', '$SYS/x', []],
    ['invalid filter', 'mqtt', 'read', 'a/#/b', []],
    ['empty', 'mqtt', 'read', '', []],
    ['http list', 'http', 'read', '/api/users?limit=5', ['users']],
    ['http item', 'http', 'read', '/api/users/7', ['users', 'user']],
    ['http write', 'http', 'write', '/api/users/7', ['user']],
    ['http pattern', 'http', 'read', '/api/users/+', ['users', 'user']],
    ['http nothing', 'http', 'write', '/api/roles', []],
  ])('%s', (_name, context, access, resource, expected) => {
    expect(ids(grantingRules(rules, context, access, resource, vars))).toEqual(expected);
  });

  it('returns the caller’s own objects', () => {
    const [first] = grantingRules(rules, 'mqtt', 'read', 'x', vars);
    expect(first).toBe(rules[0]);
  });

  it('a placeholder that fails closed grants nothing', () => {
    expect(ids(grantingRules(rules, 'mqtt', 'write', 'devices/a+b/temp', { username: 'a+b' }))).toEqual([]);
  });
});

describe('ruleCoveredBy (no privilege escalation, SPEC 2.2)', () => {
  it.each<[string, PermissionRule, PermissionRule[], boolean]>([
    ['identical', mqtt('a/b'), [mqtt('a/b')], true],
    ['narrower literal', mqtt('factory/l1/temp', 'read'), [mqtt('factory/+/temp', 'read')], true],
    ['wider wildcard', mqtt('factory/#', 'read'), [mqtt('factory/+/temp', 'read')], false],
    ['admin # covers every mqtt filter without $', mqtt('+/x/#'), [mqtt('#')], true],
    ['admin # does not cover $SYS', mqtt('$SYS/#', 'read'), [mqtt('#')], false],
    ['readWrite needs read and write', mqtt('a', 'readWrite'), [mqtt('a', 'read')], false],
    ['readWrite from two rules', mqtt('a/b', 'readWrite'), [mqtt('a/#', 'read'), mqtt('a/+', 'write')], true],
    ['write does not cover read', mqtt('a', 'read'), [mqtt('a', 'write')], false],
    ['context must match', mqtt('/api/x'), [http('/#')], false],
    ['http', http('/api/roles/+', 'write'), [http('/api/#', 'readWrite')], true],
    ['http admin', http('/#'), [http('/#')], true],
    ['http wider', http('/api/#', 'read'), [http('/api/users/#', 'read')], false],
    ['nothing held', mqtt('a', 'read'), [], false],
    // placeholders: template coverage
    ['same placeholder template', mqtt('devices/${username}/#'), [mqtt('devices/${username}/#')], true],
    ['placeholder under +', mqtt('devices/${username}/x'), [mqtt('devices/+/x')], true],
    ['placeholder under #', mqtt('devices/${clientId}/#'), [mqtt('devices/#')], true],
    ['first-level placeholder under #', mqtt('${clientId}/#'), [mqtt('#')], true],
    ['first-level placeholder under +', mqtt('${username}/x'), [mqtt('+/x')], true],
    ['other placeholder', mqtt('devices/${clientId}/#'), [mqtt('devices/${username}/#')], false],
    ['placeholder vs literal', mqtt('devices/${username}/#'), [mqtt('devices/dev1/#')], false],
    [
      'held placeholder does not cover a literal',
      mqtt('devices/dev1/#'),
      [mqtt('devices/${username}/#')],
      false,
    ],
    ['held placeholder does not cover +', mqtt('devices/+/#'), [mqtt('devices/${username}/#')], false],
    ['held placeholder does not cover #', mqtt('#'), [mqtt('${username}/#')], false],
    [
      'invalid held rules grant nothing',
      mqtt('a'),
      [mqtt('a/#/b'), { context: 'mqtt', resource: 'a', operation: 'x' } as unknown as PermissionRule],
      false,
    ],
  ])('%s', (_name, wanted, held, expected) => {
    expect(ruleCoveredBy(wanted, held)).toBe(expected);
  });

  it('a user who can edit roles cannot grant themselves #', () => {
    const editor = [http('/api/roles/#', 'readWrite'), mqtt('plant/#', 'readWrite')];
    expect(ruleCoveredBy(mqtt('#'), editor)).toBe(false);
    expect(ruleCoveredBy(http('/#'), editor)).toBe(false);
    expect(ruleCoveredBy(mqtt('plant/l1/#', 'read'), editor)).toBe(true);
  });

  it('refuses an invalid wanted rule', () => {
    expect(() => ruleCoveredBy(mqtt('a/#/b'), [mqtt('#')])).toThrow(RbacError);
  });
});
