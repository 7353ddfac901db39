import { CompiledPermissions } from './compiled-permissions';
import type { PermissionOperation, PermissionRule, PrincipalVars } from './permission.types';
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
const compile = (rules: PermissionRule[], vars: PrincipalVars = { username: 'alice', clientId: 'c1' }) =>
  CompiledPermissions.compile(rules, vars);

describe('CompiledPermissions', () => {
  describe('deny by default', () => {
    const none = compile([]);
    it.each([
      ['canPublish', () => none.canPublish('a')],
      ['canReceive', () => none.canReceive('a')],
      ['canSubscribe', () => none.canSubscribe('#')],
      ['canHttp', () => none.canHttp('GET', '/api/me')],
      ['allows', () => none.allows('mqtt', 'read', 'a')],
    ])('%s is false with no permissions', (_name, check) => {
      expect(check()).toBe(false);
    });
  });

  describe('mqtt operations (SPEC 1.1)', () => {
    const perms = compile([mqtt('r/#', 'read'), mqtt('w/#', 'write'), mqtt('rw/#', 'readWrite')]);
    it.each<[string, boolean, boolean, boolean]>([
      // topic, publish, receive, subscribe
      ['r/x', false, true, true],
      ['w/x', true, false, false],
      ['rw/x', true, true, true],
      ['other', false, false, false],
    ])('%s: publish %s, receive %s, subscribe %s', (topic, pub, recv, sub) => {
      expect(perms.canPublish(topic)).toBe(pub);
      expect(perms.canReceive(topic)).toBe(recv);
      expect(perms.canSubscribe(topic)).toBe(sub);
      expect(perms.allows('mqtt', 'write', topic)).toBe(pub);
      expect(perms.allows('mqtt', 'read', topic)).toBe(recv);
    });

    it('keeps mqtt and http apart', () => {
      const p = compile([mqtt('#'), http('/#')]);
      expect(p.allows('http', 'read', 'api')).toBe(false); // not a path
      const onlyHttp = compile([http('/#')]);
      expect(onlyHttp.canPublish('/api/users')).toBe(false);
      expect(onlyHttp.canHttp('GET', '/api/users')).toBe(true);
    });
  });

  describe('publish and receive (SPEC 1.4.2, 1.4.4)', () => {
    const perms = compile([mqtt('factory/+/temp'), mqtt('logs/#'), mqtt('$SYS/broker/uptime', 'read')]);
    it.each<[string, boolean]>([
      ['factory/l1/temp', true],
      ['factory//temp', true], // '+' matches the empty level
      ['factory/l1/humidity', false],
      ['factory/l1/temp/x', false],
      ['logs', true], // 'logs/#' matches its parent level
      ['logs/a/b/c', true],
      ['logsx', false],
      ['', false], // not a topic name
      ['factory/+/temp', false], // wildcards are not allowed in a topic name [MQTT-4.7.1-1]
      ['logs/#', false],
      ['logs/a\u0000', false],
    ])('canPublish(%j) = %s', (topic, expected) => {
      expect(perms.canPublish(topic)).toBe(expected);
      expect(perms.canReceive(topic)).toBe(expected);
    });

    it('a "#" permission reaches every topic except "$" topics [MQTT-4.7.2-1]', () => {
      const all = compile([mqtt('#')]);
      expect(all.canPublish('a/b/c')).toBe(true);
      expect(all.canPublish('/')).toBe(true);
      expect(all.canPublish('$SYS/broker/uptime')).toBe(false);
      expect(all.canReceive('$SYS/broker/uptime')).toBe(false);
      expect(all.canSubscribe('$SYS/#')).toBe(false);
      expect(perms.canReceive('$SYS/broker/uptime')).toBe(true);
      expect(perms.canPublish('$SYS/broker/uptime')).toBe(false);
    });
  });

  describe('subscribe (SPEC 1.4.3)', () => {
    const perms = compile([mqtt('factory/+/temp', 'read'), mqtt('a/#', 'read'), mqtt('$SYS/#', 'read')]);
    it.each<[string, boolean]>([
      ['factory/l1/temp', true],
      ['factory/+/temp', true],
      ['factory/#', false],
      ['factory/+/+', false],
      ['a', true],
      ['a/#', true],
      ['a/+/b', true],
      ['#', false],
      ['$SYS/#', true],
      ['$SYS/+/x', true],
      ['a/#/b', false], // invalid filter
      ['a+', false],
      ['', false],
    ])('canSubscribe(%j) = %s', (filter, expected) => {
      expect(perms.canSubscribe(filter)).toBe(expected);
      expect(perms.allows('mqtt', 'read', filter)).toBe(expected);
    });

    it("'#' covers '+/a', '#', '+/#' but not '$SYS/#'", () => {
      const all = compile([mqtt('#', 'read')]);
      expect(all.canSubscribe('+/a')).toBe(true);
      expect(all.canSubscribe('#')).toBe(true);
      expect(all.canSubscribe('+/#')).toBe(true);
      expect(all.canSubscribe('$SYS/#')).toBe(false);
    });

    it("'+/#' covers '#'", () => {
      expect(compile([mqtt('+/#', 'read')]).canSubscribe('#')).toBe(true);
    });

    it('subscribe coverage needs one rule covering the whole filter (no union of rules)', () => {
      // 'a' ∪ 'a/+/#' match exactly the topics 'a/#' matches, but SPEC 1.4.3 asks for one
      // permission that covers the filter.
      const p = compile([mqtt('a', 'read'), mqtt('a/+/#', 'read')]);
      expect(p.canSubscribe('a/#')).toBe(false);
      expect(p.canSubscribe('a')).toBe(true);
      expect(p.canSubscribe('a/x/#')).toBe(true);
    });
  });

  describe('placeholders (SPEC 1.1)', () => {
    const rules = [mqtt('devices/${username}/#'), mqtt('clients/${clientId}/in', 'read')];

    it("user 'dev1' with 'devices/${username}/#' uses devices/dev1/x and not devices/dev2/x", () => {
      const p = compile(rules, { username: 'dev1', clientId: 'c1' });
      expect(p.canPublish('devices/dev1/x')).toBe(true);
      expect(p.canReceive('devices/dev1/x')).toBe(true);
      expect(p.canSubscribe('devices/dev1/#')).toBe(true);
      expect(p.canPublish('devices/dev2/x')).toBe(false);
      expect(p.canSubscribe('devices/+/x')).toBe(false);
      expect(p.canSubscribe('devices/#')).toBe(false);
      expect(p.canPublish('devices/${username}/x')).toBe(false); // no literal placeholder level
      expect(p.canReceive('clients/c1/in')).toBe(true);
      expect(p.canReceive('clients/c2/in')).toBe(false);
    });

    it.each<[string, string | undefined]>([
      ['contains +', 'a+b'],
      ['is +', '+'],
      ['contains #', 'x#'],
      ['contains /', 'c1/in'],
      ['contains NUL', 'c\u0000'],
      ['is empty', ''],
      ['is missing', undefined],
    ])('a clientId that %s makes its rules match nothing (fail closed)', (_name, clientId) => {
      const p = compile(rules, { username: 'dev1', clientId });
      expect(p.canReceive('clients/a+b/in')).toBe(false);
      expect(p.canReceive('clients//in')).toBe(false);
      expect(p.canSubscribe('clients/+/in')).toBe(false);
      expect(p.canSubscribe('clients/#')).toBe(false);
      expect(p.canReceive('clients/c1/in')).toBe(false);
      expect(p.inactiveRuleCount).toBe(1);
      // the username rule is unaffected
      expect(p.canPublish('devices/dev1/x')).toBe(true);
    });

    it("a clientId '+' does not turn 'clients/${clientId}/in' into a wildcard", () => {
      const p = compile(rules, { username: 'dev1', clientId: '+' });
      expect(p.canReceive('clients/anyone/in')).toBe(false);
    });

    it("a value starting with '$' in the first level fails closed ($SYS is not reachable by choosing a client id)", () => {
      const p = compile([mqtt('${clientId}/#'), mqtt('${username}/x')], {
        username: '$SYS',
        clientId: '$SYS',
      });
      expect(p.canReceive('$SYS/broker/uptime')).toBe(false);
      expect(p.canPublish('$SYS/x')).toBe(false);
      expect(p.canSubscribe('$SYS/#')).toBe(false);
      expect(p.inactiveRuleCount).toBe(2);
      // deeper levels are not special
      const q = compile([mqtt('c/${clientId}')], { username: 'u', clientId: '$x' });
      expect(q.canPublish('c/$x')).toBe(true);
    });

    it('substitutes several placeholders in one rule', () => {
      const p = compile([mqtt('${username}/${clientId}/+')], { username: 'u1', clientId: 'c1' });
      expect(p.canPublish('u1/c1/x')).toBe(true);
      expect(p.canPublish('u1/c2/x')).toBe(false);
    });

    it('counts rules', () => {
      const p = compile([...rules, mqtt('a'), mqtt('a')], { username: 'dev1' });
      expect(p.ruleCount).toBe(4);
      expect(p.inactiveRuleCount).toBe(1);
    });
  });

  describe('http (SPEC 1.1, 1.4.5)', () => {
    const perms = compile([
      http('/api/users/#', 'read'),
      http('/api/roles/+', 'write'),
      http('/api/me', 'readWrite'),
    ]);
    it.each<[string, string, boolean]>([
      ['GET', '/api/users', true], // '/api/users/#' matches its parent level
      ['GET', '/api/users/123', true],
      ['GET', '/api/users/123/tokens', true],
      ['GET', '/api/users?limit=10', true], // the query is stripped
      ['GET', '/api/users/?x', true],
      ['HEAD', '/api/users/1', true],
      ['OPTIONS', '/api/users/1', true],
      ['POST', '/api/users', false],
      ['DELETE', '/api/users/1', false],
      ['PATCH', '/api/roles/7', true],
      ['PUT', '/api/roles/7', true],
      ['POST', '/api/roles/7', true],
      ['DELETE', '/api/roles/7', true],
      ['GET', '/api/roles/7', false],
      ['PATCH', '/api/roles', false],
      ['PATCH', '/api/roles/7/x', false],
      ['PATCH', '/api/roles/', true], // a trailing slash is an empty level, which '+' matches
      ['GET', '/api/me', true],
      ['POST', '/api/me', true],
      ['GET', '/api/me/', false], // a trailing slash is a distinct level
      ['GET', '/api/mex', false],
      ['GET', '/API/me', false], // case-sensitive
      ['get', '/api/me', false], // methods are case-sensitive
      ['TRACE', '/api/me', false],
      ['CONNECT', '/api/me', false],
      ['PROPFIND', '/api/me', false],
      ['GET', 'api/me', false], // must start with '/'
      ['GET', '', false],
      ['GET', '?/api/me', false],
    ])('canHttp(%s, %j) = %s', (method, path, expected) => {
      expect(perms.canHttp(method, path)).toBe(expected);
    });

    it("'/#' grants every path, including '/'", () => {
      const all = compile([http('/#')]);
      expect(all.canHttp('GET', '/')).toBe(true);
      expect(all.canHttp('DELETE', '/api/users/1')).toBe(true);
      expect(all.canHttp('GET', '/api/$x')).toBe(true);
    });

    it("'+' and '#' in a request path are data", () => {
      const p = compile([http('/api/+', 'read')]);
      expect(p.canHttp('GET', '/api/+')).toBe(true);
      expect(p.canHttp('GET', '/api/#')).toBe(true);
      expect(p.canHttp('GET', '/api/a/#')).toBe(false);
      expect(compile([http('/api/x', 'read')]).canHttp('GET', '/api/+')).toBe(false);
    });

    it('allows() on http: paths are matched, patterns covered', () => {
      expect(perms.allows('http', 'read', '/api/users/1?x=1')).toBe(true);
      expect(perms.allows('http', 'read', '/api/users/+')).toBe(true);
      expect(perms.allows('http', 'read', '/api/users/#')).toBe(true);
      expect(perms.allows('http', 'read', '/api/#')).toBe(false);
      expect(perms.allows('http', 'write', '/api/roles/+')).toBe(true);
      expect(perms.allows('http', 'write', '/api/roles/#')).toBe(false);
      expect(perms.allows('http', 'read', 'api/users')).toBe(false);
      expect(perms.allows('http', 'read', '/api/users/#/x')).toBe(false);
    });
  });

  it('never throws on malformed input: denies it', () => {
    const p = compile([mqtt('#'), http('/#')]);
    const junk = [undefined, null, 42, {}, ['a']] as unknown as string[];
    for (const x of junk) {
      expect(p.canPublish(x)).toBe(false);
      expect(p.canReceive(x)).toBe(false);
      expect(p.canSubscribe(x)).toBe(false);
      expect(p.canHttp('GET', x)).toBe(false);
      expect(p.canHttp(x, '/api')).toBe(false);
      expect(p.allows('mqtt', 'read', x)).toBe(false);
      expect(p.allows('http', 'read', x)).toBe(false);
      expect(p.allows(x as never, 'read', 'a')).toBe(false);
      expect(p.allows('mqtt', x as never, 'a')).toBe(false);
    }
  });

  describe('compile', () => {
    it('refuses an invalid rule (corrupt data fails the whole principal closed)', () => {
      expect(() => compile([mqtt('a'), mqtt('a/#/b')])).toThrow(RbacError);
      expect(() => compile([http('api')])).toThrow("http resource must start with '/'");
    });

    it('compiles 10,000 rules quickly and answers independently of their number', () => {
      const rules: PermissionRule[] = [];
      for (let i = 0; i < 10_000; i++) rules.push(mqtt(`site/${i % 50}/line/${i}/+/#`));
      const started = process.hrtime.bigint();
      const p = compile(rules);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      expect(ms).toBeLessThan(1000);
      expect(p.canPublish('site/3/line/9953/x/y')).toBe(true);
      expect(p.canPublish('site/3/line/9954/x/y')).toBe(false);
      expect(p.ruleCount).toBe(10_000);
    });
  });
});
