import { grantingRules } from './granting-rules';
import type { PermissionOperation, PermissionRule } from './permission.types';

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
