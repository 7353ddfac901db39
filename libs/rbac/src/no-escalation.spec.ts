import { ANY_USER, GrantorAccess, type Grantee, ruleCoveredBy } from './no-escalation';
import type { PermissionOperation, PermissionRule } from './permission.types';
import { RbacError } from './rbac-error';

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
const toUser = (username: string): Grantee => ({ username });

describe('ruleCoveredBy (no privilege escalation, SPEC 2.2)', () => {
  // grantor "creator" hands out to user "plant1" unless the case says otherwise
  const parties = { grantor: 'creator', grantee: toUser('plant1') };

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
    // issue 9 defect 4: each side's own ${username}
    [
      'same template, other user: d/creator/# does not hold d/plant1/#',
      mqtt('d/${username}/#'),
      [mqtt('d/${username}/#')],
      false,
    ],
    [
      'the literal the grantor holds through its ${username}',
      mqtt('d/creator/#'),
      [mqtt('d/${username}/#')],
      true,
    ],
    ['part of it', mqtt('d/creator/x/+', 'read'), [mqtt('d/${username}/#')], true],
    ['another literal is not held', mqtt('d/plant1/#'), [mqtt('d/${username}/#')], false],
    ['the grantee’s name under a held literal', mqtt('d/${username}/#'), [mqtt('d/plant1/#')], true],
    ['the grantee’s name under a held +', mqtt('devices/${username}/x'), [mqtt('devices/+/x')], true],
    ['first-level ${username} under +', mqtt('${username}/x'), [mqtt('+/x')], true],
    ['held ${username} does not cover +', mqtt('devices/+/#'), [mqtt('devices/${username}/#')], false],
    ['held ${username} does not cover #', mqtt('#'), [mqtt('${username}/#')], false],
    // the grantee's ${clientId} is any level; the grantor's covers nothing
    ['grantee ${clientId} under #', mqtt('devices/${clientId}/#'), [mqtt('devices/#')], true],
    ['first-level ${clientId} under #', mqtt('${clientId}/#'), [mqtt('#')], true],
    ['grantee ${clientId} under +', mqtt('c/${clientId}/x'), [mqtt('c/+/x')], true],
    ['grantee ${clientId} is not the grantee’s name', mqtt('d/${clientId}/#'), [mqtt('d/plant1/#')], false],
    [
      'grantee ${clientId} not under the grantor’s name',
      mqtt('d/${clientId}/#'),
      [mqtt('d/${username}/#')],
      false,
    ],
    [
      'grantor ${clientId} covers nothing, not even itself',
      mqtt('c/${clientId}/#'),
      [mqtt('c/${clientId}/#')],
      false,
    ],
    ['grantor ${clientId} covers no literal', mqtt('c/x/#'), [mqtt('c/${clientId}/#')], false],
    [
      'a grantor rule with ${clientId} anywhere covers nothing',
      mqtt('creator/a'),
      [mqtt('${username}/${clientId}')],
      false,
    ],
    [
      'invalid held rules grant nothing',
      mqtt('a'),
      [mqtt('a/#/b'), { context: 'mqtt', resource: 'a', operation: 'x' } as unknown as PermissionRule],
      false,
    ],
  ])('%s', (_name, wanted, held, expected) => {
    expect(ruleCoveredBy(wanted, held, parties)).toBe(expected);
  });

  it('to oneself: the same template is held', () => {
    expect(
      ruleCoveredBy(mqtt('d/${username}/#'), [mqtt('d/${username}/#')], {
        grantor: 'me',
        grantee: toUser('me'),
      }),
    ).toBe(true);
  });

  it('into a role (any user): ${username} is any level', () => {
    const role = { grantor: 'creator', grantee: ANY_USER };
    expect(ruleCoveredBy(mqtt('d/${username}/#'), [mqtt('d/${username}/#')], role)).toBe(false);
    expect(ruleCoveredBy(mqtt('d/${username}/#'), [mqtt('d/creator/#')], role)).toBe(false);
    expect(ruleCoveredBy(mqtt('d/${username}/#'), [mqtt('d/+/#')], role)).toBe(true);
    expect(ruleCoveredBy(mqtt('${username}/x'), [mqtt('#')], role)).toBe(true);
  });

  it('a user who can edit roles cannot grant themselves #', () => {
    const editor = [http('/api/roles/#', 'readWrite'), mqtt('plant/#', 'readWrite')];
    const self = { grantor: 'editor', grantee: toUser('editor') };
    expect(ruleCoveredBy(mqtt('#'), editor, self)).toBe(false);
    expect(ruleCoveredBy(http('/#'), editor, self)).toBe(false);
    expect(ruleCoveredBy(mqtt('plant/l1/#', 'read'), editor, self)).toBe(true);
  });

  it('refuses an invalid wanted rule', () => {
    expect(() => ruleCoveredBy(mqtt('a/#/b'), [mqtt('#')], parties)).toThrow(RbacError);
  });

  it('GrantorAccess.firstUncovered names the first rule not held', () => {
    const access = GrantorAccess.of([mqtt('d/${username}/#'), http('/api/users/#')], 'creator');
    const wanted = [mqtt('d/creator/a'), mqtt('d/${username}/a'), http('/api/users/+')];
    expect(access.firstUncovered(wanted, toUser('plant1'))).toBe(wanted[1]);
    expect(access.firstUncovered(wanted, toUser('creator'))).toBeUndefined();
  });
});
