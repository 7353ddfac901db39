import { RbacError } from './rbac-error';
import {
  PATTERN_ERRORS,
  validatePermissionRule,
  validateTopicFilter,
  validateTopicName,
} from './pattern-validation';
import type { PermissionRule } from './permission.types';

function errorOf(fn: () => void): RbacError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RbacError) return err;
    throw err;
  }
  throw new Error('expected an RbacError');
}

const mqtt = (resource: string): PermissionRule => ({ context: 'mqtt', resource, operation: 'read' });
const http = (resource: string): PermissionRule => ({ context: 'http', resource, operation: 'read' });

describe('validatePermissionRule (SPEC 1.1)', () => {
  it.each([
    ['#'],
    ['+'],
    ['a'],
    ['a/b/c'],
    ['a/+/c'],
    ['a/#'],
    ['+/+/#'],
    ['/'],
    ['//'],
    ['a//b'],
    ['$SYS/#'],
    ['$share'],
    ['devices/${username}/#'],
    ['${clientId}/in'],
    ['${username}/${clientId}/+'],
    ['ünïcödé/🚀'],
    ['a b/c\td'],
  ])('accepts the mqtt resource %j', (resource) => {
    expect(() => validatePermissionRule(mqtt(resource))).not.toThrow();
  });

  it.each([
    ['/'],
    ['/#'],
    ['/api/users'],
    ['/api/users/#'],
    ['/api/roles/+'],
    ['/api/users/'],
    ['/api/+/tokens/+'],
  ])('accepts the http resource %j', (resource) => {
    expect(() => validatePermissionRule(http(resource))).not.toThrow();
  });

  const invalid: [string, PermissionRule, string][] = [
    ['empty mqtt', mqtt(''), 'resource must not be empty'],
    ['empty http', http(''), 'resource must not be empty'],
    ['NUL', mqtt('a/\u0000/b'), 'resource must not contain NUL'],
    ['NUL in http', http('/a\u0000'), 'resource must not contain NUL'],
    ['unpaired surrogate', mqtt('a/\uD800'), 'resource must be well-formed Unicode (no unpaired surrogates)'],
    ['too long', mqtt('a'.repeat(65536)), 'resource exceeds 65535 UTF-8 bytes'],
    ['too long in UTF-8 bytes', mqtt('é'.repeat(32768)), 'resource exceeds 65535 UTF-8 bytes'],
    ['# not last', mqtt('a/#/b'), "'#' must be the last level"],
    ['# first of two', mqtt('#/a'), "'#' must be the last level"],
    ['# inside a level', mqtt('a/b#'), "'+' and '#' must occupy a whole level"],
    ['# glued at the end', mqtt('a#'), "'+' and '#' must occupy a whole level"],
    ['## level', mqtt('a/##'), "'+' and '#' must occupy a whole level"],
    ['+ inside a level', mqtt('a/b+/c'), "'+' and '#' must occupy a whole level"],
    ['++ level', mqtt('++'), "'+' and '#' must occupy a whole level"],
    ['+# level', mqtt('a/+#'), "'+' and '#' must occupy a whole level"],
    ['http without leading slash', http('api/users'), "http resource must start with '/'"],
    ['http #', http('#'), "http resource must start with '/'"],
    [
      'http with query',
      http('/api/users?limit=1'),
      "http resource must not contain '?': query strings are never part of the match",
    ],
    ['http # not last', http('/api/#/x'), "'#' must be the last level"],
    ['http + in level', http('/api/users+'), "'+' and '#' must occupy a whole level"],
    [
      'http placeholder',
      http('/api/users/${username}'),
      'placeholders are only allowed in mqtt resources and must be a whole level: ${username} or ${clientId}',
    ],
    [
      'placeholder inside a level',
      mqtt('devices/dev-${username}/#'),
      'placeholders are only allowed in mqtt resources and must be a whole level: ${username} or ${clientId}',
    ],
    [
      'placeholder followed by text',
      mqtt('${username}x'),
      'placeholders are only allowed in mqtt resources and must be a whole level: ${username} or ${clientId}',
    ],
    [
      'two placeholders in one level',
      mqtt('${username}${clientId}'),
      'placeholders are only allowed in mqtt resources and must be a whole level: ${username} or ${clientId}',
    ],
    [
      'unterminated placeholder',
      mqtt('a/${username'),
      'placeholders are only allowed in mqtt resources and must be a whole level: ${username} or ${clientId}',
    ],
    [
      'unknown placeholder',
      mqtt('a/${user}/b'),
      "unknown placeholder '${user}': only ${username} and ${clientId} are supported",
    ],
    [
      'case matters',
      mqtt('${UserName}'),
      "unknown placeholder '${UserName}': only ${username} and ${clientId} are supported",
    ],
    [
      'empty placeholder',
      mqtt('${}'),
      "unknown placeholder '${}': only ${username} and ${clientId} are supported",
    ],
  ];

  it.each(invalid)('refuses %s with RBAC.INVALID_PATTERN', (_name, rule, message) => {
    const err = errorOf(() => validatePermissionRule(rule));
    expect(err.code).toBe('RBAC.INVALID_PATTERN');
    expect(err.message).toBe(message);
  });

  it('refuses a resource that is not a string', () => {
    const err = errorOf(() =>
      validatePermissionRule({
        context: 'mqtt',
        resource: 42,
        operation: 'read',
      } as unknown as PermissionRule),
    );
    expect(err).toMatchObject({ code: 'RBAC.INVALID_PATTERN', message: 'resource must be a string' });
  });

  it.each([
    [{ context: 'amqp', resource: 'a', operation: 'read' }, PATTERN_ERRORS.context],
    [{ context: 'mqtt', resource: 'a', operation: 'delete' }, PATTERN_ERRORS.operation],
    [{ context: 'http', resource: '/a', operation: 'ReadWrite' }, PATTERN_ERRORS.operation],
    [null, 'permission must be an object'],
  ])('refuses %j with RBAC.INVALID_RULE', (rule, message) => {
    const err = errorOf(() => validatePermissionRule(rule as unknown as PermissionRule));
    expect(err).toMatchObject({ code: 'RBAC.INVALID_RULE', message });
  });

  it('accepts exactly 65535 UTF-8 bytes', () => {
    expect(() => validatePermissionRule(mqtt('a'.repeat(65535)))).not.toThrow();
    expect(() => validatePermissionRule(mqtt('é'.repeat(32767) + 'a'))).not.toThrow();
  });

  it('accepts a surrogate pair (astral character)', () => {
    expect(() => validatePermissionRule(mqtt('🚀'))).not.toThrow();
  });
});

describe('validateTopicFilter (client SUBSCRIBE, MQTT 3.1.1 §4.7)', () => {
  it.each([['#'], ['+'], ['a/+/#'], ['$SYS/#'], ['devices/${username}/x'], ['${anything}'], ['/']])(
    'accepts %j',
    (f) => {
      expect(() => validateTopicFilter(f)).not.toThrow();
    },
  );

  it.each([
    ['', 'topic filter must not be empty'], // [MQTT-4.7.3-1]
    ['a/\u0000', 'topic filter must not contain NUL'], // [MQTT-4.7.3-2]
    ['a/#/b', "'#' must be the last level"], // [MQTT-4.7.1-2]
    ['a+', "'+' and '#' must occupy a whole level"], // [MQTT-4.7.1-3]
    ['sport/tennis#', "'+' and '#' must occupy a whole level"],
  ])('refuses %j', (f, message) => {
    expect(errorOf(() => validateTopicFilter(f))).toMatchObject({ code: 'RBAC.INVALID_PATTERN', message });
  });
});

describe('validateTopicName (PUBLISH)', () => {
  it.each([['a'], ['a/b'], ['/'], ['$SYS/x'], ['${username}']])('accepts %j', (t) => {
    expect(() => validateTopicName(t)).not.toThrow();
  });

  it.each([
    ['empty', '', 'topic name must not be empty'],
    ['a/+', 'a/+', "topic name must not contain '+' or '#'"], // [MQTT-4.7.1-1]
    ['a/#', 'a/#', "topic name must not contain '+' or '#'"],
    ['a+b', 'a+b', "topic name must not contain '+' or '#'"],
    ['NUL', 'a\u0000', 'topic name must not contain NUL'],
    ['65536 bytes', 'x'.repeat(65536), 'topic name exceeds 65535 UTF-8 bytes'],
  ])('refuses %s', (_name, t, message) => {
    expect(errorOf(() => validateTopicName(t))).toMatchObject({ code: 'RBAC.INVALID_PATTERN', message });
  });
});
