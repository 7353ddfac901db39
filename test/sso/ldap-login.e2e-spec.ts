/**
 * Issue 12 (LDAP part), SPEC 2.1a, ADR 0024: log-in against a real OpenLDAP (a private slapd started by
 * test/support/slapd.ts with test/fixtures/ldap/directory.ldif) over HTTP and MQTT, roles from
 * directory groups, throttling like a local user, the binding by DN (a directory `admin` is not the
 * local admin), group changes at the directory, disabled in Gatehouse, removal from the directory and
 * a directory outage (HTTP 503, CONNACK 3 unless the gateway's cache decides).
 */
import type { MqttClient } from 'mqtt';
import { Attribute, Change, type Client as LdapClient } from 'ldapts';
import type { Client as AedesClient } from 'aedes';
import {
  type GatewayStack,
  ADMIN_PASSWORD,
  ADMIN_USERNAME,
  startGatewayStack,
} from '../support/gateway/stack';
import {
  brokerEvent,
  type Endpoint,
  Inbox,
  connackCode,
  connectClient,
  subscribeCodes,
} from '../support/gateway/mqtt-helpers';
import {
  ADMIN_PASSWORD as ADMIN_PASSWORD_API,
  startTestAdminApi,
  type TestAdminApi,
} from '../support/admin-api';
import { ldapEnvFor, slapdMissingReason, startTestDirectory, type TestDirectory } from '../support/slapd';

jest.setTimeout(60_000);

const missing = slapdMissingReason();
if (missing) {
  console.warn(`test/sso/ldap-login.e2e-spec.ts skipped: ${missing}`);
}
const describeLdap = missing ? describe.skip : describe;

const ALICE_PW = 'alice-directory-pw-1';
const BOB_PW = 'bob-directory-pw-1';
const DIR_ADMIN_PW = 'admin-directory-pw-1';
const ENGINEERS_DN = 'cn=engineers,ou=groups,dc=plant,dc=test';
const people = (uid: string) => `uid=${uid},ou=people,dc=plant,dc=test`;

type Json = Record<string, unknown>;

describeLdap('LDAP log-in against a real slapd (issue 12, SPEC 2.1a)', () => {
  let dir: TestDirectory;
  let root: LdapClient;
  let stack: GatewayStack;
  let e: Endpoint;
  let operatorsRole: string;
  let engineersRole: string;
  const open: MqttClient[] = [];
  const track = (c: MqttClient) => (open.push(c), c);

  const api = async (
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: Json; headers: Headers }> => {
    const res = await fetch(`${stack.admin.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
  };
  const login = (username: string, password: string) => api('POST', '/api/login', { username, password });
  let adminToken: string;
  const asAdmin = (method: string, path: string, body?: unknown) => api(method, path, body, adminToken);
  const userNamed = async (username: string): Promise<Json | undefined> => {
    const res = await asAdmin('GET', `/api/users?username=${encodeURIComponent(username)}`);
    return (res.body.items as Json[]).find((u) => u.username === username);
  };
  const addPerson = async (uid: string, password: string, groups: string[]) => {
    await root.add(people(uid), {
      objectClass: 'inetOrgPerson',
      uid,
      cn: uid,
      sn: uid,
      userPassword: password,
    });
    for (const g of groups) {
      await root.modify(`cn=${g},ou=groups,dc=plant,dc=test`, [
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'member', values: [people(uid)] }),
        }),
      ]);
    }
  };

  beforeAll(async () => {
    dir = await startTestDirectory();
    root = await dir.admin();
    const limits = { LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '3' };
    stack = await startGatewayStack({
      adminEnv: { ...ldapEnvFor(dir), ...limits },
      gatewayEnv: limits,
    });
    e = { kind: 'tcp', port: stack.gateway.ports.mqtt };
    adminToken = (await login(ADMIN_USERNAME, ADMIN_PASSWORD)).body.token as string;
    const operators = await asAdmin('POST', '/api/roles', {
      name: 'plant-operators',
      permissions: [
        { context: 'mqtt', resource: 'plant/line1/#', operation: 'readWrite' },
        { context: 'http', resource: '/api/me', operation: 'read' },
      ],
      externalGroups: ['Operators'], // the cn, regardless of case
    });
    expect(operators.status).toBe(201);
    operatorsRole = operators.body.id as string;
    const engineers = await asAdmin('POST', '/api/roles', {
      name: 'plant-engineers',
      permissions: [{ context: 'mqtt', resource: 'plant/eng/#', operation: 'readWrite' }],
      externalGroups: [ENGINEERS_DN], // the full DN works too
    });
    expect(engineers.status).toBe(201);
    engineersRole = engineers.body.id as string;
  }, 60_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  });

  afterAll(async () => {
    await root?.unbind().catch(() => undefined);
    await stack?.close();
    await dir?.destroy();
  }, 30_000);

  it('HTTP: a directory user logs in with its directory password and holds the roles of its groups', async () => {
    const res = await login('alice', ALICE_PW);
    expect(res.status).toBe(200);
    expect(typeof res.body.token).toBe('string');
    const alice = await userNamed('alice');
    expect(alice).toMatchObject({ identityProvider: 'ldap', roles: [] });
    expect([...(alice?.groupRoles as string[])].sort()).toEqual([operatorsRole, engineersRole].sort());
    expect(alice?.externalGroups).toEqual(expect.arrayContaining(['operators', 'engineers', ENGINEERS_DN]));
    // the token works where the group role allows it, and only there
    const me = await api('GET', '/api/me', undefined, res.body.token as string);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('alice');
    expect((await api('GET', '/api/users', undefined, res.body.token as string)).status).toBe(403);
    const effective = await asAdmin('GET', `/api/users/${alice?.id as string}/effective-permissions`);
    const resources = (effective.body.items as { permission: { resource: string } }[]).map(
      (p) => p.permission.resource,
    );
    expect(resources).toEqual(expect.arrayContaining(['plant/line1/#', 'plant/eng/#', '/api/me']));
    // no password is stored, nor can one be set here: the directory keeps it
    const setPassword = await asAdmin('PATCH', `/api/users/${alice?.id as string}`, {
      password: 'Qw7-lighthouse-meadow',
      version: alice?.version,
    });
    expect(setPassword.status).toBe(409);
    expect(setPassword.body.code).toBe('IDENTITY.FEDERATED_USER');
    // a second login is found by DN again
    expect((await login('alice', ALICE_PW)).status).toBe(200);
    expect((await asAdmin('GET', '/api/users?username=alice')).body.items).toHaveLength(1);
  });

  it('MQTT: CONNECT with the directory password works and the group roles decide the topics', async () => {
    const c = track(await connectClient(e, { username: 'alice', password: ALICE_PW }));
    expect(await subscribeCodes(c, ['plant/line1/#', 'plant/eng/#', 'plant/line2/#'])).toEqual([0, 0, 0x80]);
    const inbox = new Inbox(c);
    await c.publishAsync('plant/line1/temp', '21', { qos: 1 });
    await inbox.waitForTopic('plant/line1/temp', '21');
    expect(await connackCode(e, { username: 'alice', password: 'not-the-password' })).toBe(4);
  });

  it('a wrong directory password is 401 like a local one, and throttled like a local one (then 429 with Retry-After)', async () => {
    const local = await asAdmin('POST', '/api/users', {
      username: 'carol-local',
      password: 'Tq8-harbour-lantern',
      roles: [],
      permissions: [],
    });
    expect(local.status).toBe(201);
    const sequence = async (username: string, right: string) => {
      const statuses: number[] = [];
      const bodies: Json[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await login(username, `wrong-${i}-password`);
        statuses.push(r.status);
        bodies.push(r.body);
      }
      const locked = await login(username, right); // the right password no longer helps
      statuses.push(locked.status);
      return { statuses, bodies, retryAfter: locked.headers.get('retry-after') };
    };
    const dirUser = await sequence('bob', BOB_PW);
    const localUser = await sequence('carol-local', 'Tq8-harbour-lantern');
    expect(dirUser.statuses).toEqual([401, 401, 401, 429]);
    expect(localUser.statuses).toEqual(dirUser.statuses);
    expect(Number(dirUser.retryAfter)).toBeGreaterThan(0);
    expect(dirUser.bodies[0].code).toBe('IDENTITY.INVALID_CREDENTIALS');
    expect({ ...dirUser.bodies[0], instance: undefined }).toEqual({
      ...localUser.bodies[0],
      instance: undefined,
    });
    // an unknown name answers the same body (no enumeration)
    const unknown = await login('nobody-here', 'whatever-password');
    expect(unknown.status).toBe(401);
    expect(unknown.body.code).toBe('IDENTITY.INVALID_CREDENTIALS');
  });

  it('a directory user named admin does not log in as the local admin (LDAP_USERNAME_CLASH=refuse), and it is audited', async () => {
    const localAdmin = await userNamed(ADMIN_USERNAME);
    const res = await login('admin', DIR_ADMIN_PW);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('IDENTITY.FEDERATED_NAME_CLASH');
    expect(res.body.token).toBeUndefined();
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    // no federated user was made, the local admin is untouched and still logs in with its own password
    expect((await asAdmin('GET', '/api/users?username=admin')).body.items).toHaveLength(1);
    expect((await userNamed(ADMIN_USERNAME))?.identityProvider).toBe('local');
    expect((await userNamed(ADMIN_USERNAME))?.version).toBe(localAdmin?.version);
    expect((await login(ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
    // nor over MQTT
    expect(await connackCode(e, { username: 'admin', password: DIR_ADMIN_PW })).not.toBe(0);
    const audit = await asAdmin('GET', '/api/audit-events?action=auth.login&result=failure&limit=200');
    const refused = (audit.body.items as Json[]).filter(
      (ev) => (ev.target as Json).name === 'admin' && (ev.target as Json).type === 'ldap-user',
    );
    expect(refused).toHaveLength(1);
  });

  it('removing the user from a group at the directory removes the role at the next login, live on the gateway', async () => {
    const alice = await userNamed('alice');
    const aliceId = alice?.id as string;
    const c = track(await connectClient(e, { username: 'alice', password: ALICE_PW }));
    expect(await subscribeCodes(c, ['plant/eng/#'])).toEqual([0]);
    // groupOfNames needs a member: bob replaces alice
    await root.modify(ENGINEERS_DN, [
      new Change({
        operation: 'replace',
        modification: new Attribute({ type: 'member', values: [people('bob')] }),
      }),
    ]);
    const applied = stack.changeApplied(aliceId);
    const removal = brokerEvent<[string[], AedesClient]>(
      stack.broker,
      'unsubscribe',
      (subs, client) => client.id === c.options.clientId && subs.includes('plant/eng/#'),
    );
    expect((await login('alice', ALICE_PW)).status).toBe(200);
    await applied;
    await removal; // the gateway removed the subscription the role no longer covers
    const after = await userNamed('alice');
    expect(after?.groupRoles).toEqual([operatorsRole]);
    expect(after?.externalGroups).not.toContain('engineers');
    expect(await subscribeCodes(c, ['plant/eng/#', 'plant/line1/#'])).toEqual([0x80, 0]);
  });

  it('disabled in Gatehouse stays out whatever the directory says (HTTP and MQTT)', async () => {
    await addPerson('dave', 'dave-directory-pw-1', ['operators']);
    expect((await login('dave', 'dave-directory-pw-1')).status).toBe(200);
    const dave = await userNamed('dave');
    const patched = await asAdmin('PATCH', `/api/users/${dave?.id as string}`, {
      enabled: false,
      version: dave?.version,
    });
    expect(patched.status).toBe(200);
    const res = await login('dave', 'dave-directory-pw-1');
    expect(res.status).toBe(401);
    expect(res.body.token).toBeUndefined();
    expect(await connackCode(e, { username: 'dave', password: 'dave-directory-pw-1' })).toBe(5);
  });

  it('a user removed from the directory can no longer log in', async () => {
    await addPerson('frank', 'frank-directory-pw-1', ['operators']);
    expect((await login('frank', 'frank-directory-pw-1')).status).toBe(200);
    await root.modify('cn=operators,ou=groups,dc=plant,dc=test', [
      new Change({
        operation: 'delete',
        modification: new Attribute({ type: 'member', values: [people('frank')] }),
      }),
    ]);
    await root.del(people('frank'));
    const res = await login('frank', 'frank-directory-pw-1');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('IDENTITY.INVALID_CREDENTIALS');
    expect(await connackCode(e, { username: 'frank', password: 'frank-directory-pw-1' })).toBe(4);
  });

  it("another entry with a known user's name is not that user (the bound DN decides); an ambiguous name is refused, not guessed", async () => {
    await root.add('ou=contractors,ou=people,dc=plant,dc=test', {
      objectClass: 'organizationalUnit',
      ou: 'contractors',
    });
    const person = (dn: string, uid: string, password: string) =>
      root.add(dn, { objectClass: 'inetOrgPerson', uid, cn: uid, sn: uid, userPassword: password });
    await person('uid=alice,ou=contractors,ou=people,dc=plant,dc=test', 'alice', 'other-alice-pw-1');
    expect((await login('alice', 'other-alice-pw-1')).status).toBe(401);
    // the bound alice still logs in: her binding is her DN, not the name
    expect((await login('alice', ALICE_PW)).status).toBe(200);
    // a name unknown here that two (then three: past the search size limit) entries carry: refused, no user made
    await person(people('gina'), 'gina', 'gina-pw-1');
    await person('uid=gina,ou=contractors,ou=people,dc=plant,dc=test', 'gina', 'gina-pw-1');
    expect((await login('gina', 'gina-pw-1')).status).toBe(401);
    await person('cn=gina,ou=contractors,ou=people,dc=plant,dc=test', 'gina', 'gina-pw-1');
    expect((await login('gina', 'gina-pw-1')).status).toBe(401);
    expect(await userNamed('gina')).toBeUndefined();
    for (const dn of [
      'uid=alice,ou=contractors,ou=people,dc=plant,dc=test',
      'uid=gina,ou=contractors,ou=people,dc=plant,dc=test',
      'cn=gina,ou=contractors,ou=people,dc=plant,dc=test',
      'ou=contractors,ou=people,dc=plant,dc=test',
    ])
      await root.del(dn);
    // one gina left: she logs in
    expect((await login('gina', 'gina-pw-1')).status).toBe(200);
  });

  it('an injected filter is not syntax: `*` and parentheses in the name match nothing', async () => {
    expect((await login('a*', ALICE_PW)).status).toBe(401);
    expect((await login('alice)(uid=*', ALICE_PW)).status).toBe(401);
    expect((await login('*', ALICE_PW)).status).toBe(401);
    // an empty password is never an (anonymous) bind
    expect((await login('alice', '')).status).toBe(400);
    expect(await connackCode(e, { username: 'alice', password: '' })).not.toBe(0);
  });

  it('directory down: HTTP 503 problem, CONNACK 3 unless the gateway cache decides; local users unaffected', async () => {
    await addPerson('erin', 'erin-directory-pw-1', ['operators']);
    // alice's MQTT password is in the gateway's verification cache (earlier CONNECTs)
    track(await connectClient(e, { username: 'alice', password: ALICE_PW }));
    await dir.stop();
    try {
      const res = await login('alice', ALICE_PW);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('IDENTITY.DIRECTORY_UNAVAILABLE');
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(res.body)).not.toContain('service-secret');
      expect(await connackCode(e, { username: 'erin', password: 'erin-directory-pw-1' })).toBe(3);
      expect(await connackCode(e, { username: 'alice', password: ALICE_PW })).toBe(0);
      expect((await login(ADMIN_USERNAME, ADMIN_PASSWORD)).status).toBe(200);
      expect(await connackCode(e, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD })).toBe(0);
    } finally {
      await dir.restart();
    }
    expect((await login('erin', 'erin-directory-pw-1')).status).toBe(200);
  });

  it('externalGroups on a role go through the no-escalation rule, like assigning the role', async () => {
    const weak = await asAdmin('POST', '/api/users', {
      username: 'role-editor',
      password: 'Vz4-orchard-compass',
      roles: [],
      permissions: [{ context: 'http', resource: '/api/roles/#', operation: 'readWrite' }],
    });
    expect(weak.status).toBe(201);
    const token = (await login('role-editor', 'Vz4-orchard-compass')).body.token as string;
    const role = await asAdmin('GET', `/api/roles/${engineersRole}`);
    const res = await api(
      'PATCH',
      `/api/roles/${engineersRole}`,
      { externalGroups: [ENGINEERS_DN, 'operators'], version: role.body.version },
      token,
    );
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('AUTH.ESCALATION');
    // removing a group hands out nothing; an invalid group is a 400 naming the field
    const bad = await asAdmin('PATCH', `/api/roles/${engineersRole}`, {
      externalGroups: ['ok', 'bad\u0001group'],
      version: role.body.version,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('externalGroups');
    const fine = await api(
      'PATCH',
      `/api/roles/${engineersRole}`,
      { externalGroups: [], version: role.body.version },
      token,
    );
    expect(fine.status).toBe(200);
    expect(fine.body.externalGroups).toEqual([]);
  });
});

describeLdap('LDAP_USERNAME_CLASH=suffix (ADR 0024)', () => {
  let dir: TestDirectory;
  let api: TestAdminApi;

  beforeAll(async () => {
    dir = await startTestDirectory();
    api = await startTestAdminApi(ldapEnvFor(dir, { LDAP_USERNAME_CLASH: 'suffix' }));
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    await dir?.destroy();
  }, 30_000);

  it('a directory user whose name a local user holds gets a distinct name, never the local account; audited as that user', async () => {
    const admin = await api.adminToken();
    const res = await api.http.post('/api/login').send({ username: 'admin', password: DIR_ADMIN_PW });
    expect(res.status).toBe(200);
    const token = res.body as { token: string };
    const me = await api.http.get('/api/me').set('authorization', `Bearer ${token.token}`);
    // the token is the renamed directory user's, not the local admin's (which could read every user)
    expect(me.status).toBe(200);
    expect((me.body as { username: string }).username).toBe('admin.ldap');
    expect((await api.http.get('/api/users').set('authorization', `Bearer ${token.token}`)).status).toBe(403);
    const users = await api.http.get('/api/users?username=admin').set('authorization', `Bearer ${admin}`);
    const items = users.body.items as { id: string; username: string; identityProvider: string }[];
    expect(items.map((u) => [u.username, u.identityProvider]).sort()).toEqual([
      ['admin', 'local'],
      ['admin.ldap', 'ldap'],
    ]);
    const renamed = items.find((u) => u.username === 'admin.ldap');
    // the next login finds it by DN again (no third user), by either name
    expect(
      (await api.http.post('/api/login').send({ username: 'admin', password: DIR_ADMIN_PW })).status,
    ).toBe(200);
    expect(
      (await api.http.post('/api/login').send({ username: 'admin.ldap', password: DIR_ADMIN_PW })).status,
    ).toBe(200);
    expect(
      (await api.http.get('/api/users?username=admin').set('authorization', `Bearer ${admin}`)).body.items,
    ).toHaveLength(2);
    // the local admin's own password still logs in as the local admin
    expect(
      (await api.http.post('/api/login').send({ username: 'admin', password: ADMIN_PASSWORD_API })).status,
    ).toBe(200);
    const audit = await api.http
      .get('/api/audit-events?action=auth.login&result=success&limit=200')
      .set('authorization', `Bearer ${admin}`);
    const actors = (audit.body.items as { actor: { id: string; username: string } | null }[]).map(
      (ev) => ev.actor?.username,
    );
    expect(actors.filter((a) => a === 'admin.ldap')).toHaveLength(3);
    expect(renamed).toBeDefined();
  });

  it('POST /api/auth/refresh (ADR 0023): the entry is read again at its DN; new token, old revoked; gone from the directory → 401 and the token ends', async () => {
    const root = await dir.admin();
    try {
      await root.add(people('ivy'), {
        objectClass: 'inetOrgPerson',
        uid: 'ivy',
        cn: 'ivy',
        sn: 'ivy',
        userPassword: 'ivy-pw-1',
      });
      const first = await api.http.post('/api/login').send({ username: 'ivy', password: 'ivy-pw-1' });
      expect(first.status).toBe(200);
      const t1 = (first.body as { token: string }).token;
      const refreshed = await api.http.post('/api/auth/refresh').set('authorization', `Bearer ${t1}`);
      expect(refreshed.status).toBe(200);
      const t2 = (refreshed.body as { token: string }).token;
      expect((await api.http.get('/api/me').set('authorization', `Bearer ${t1}`)).status).toBe(401);
      expect((await api.http.get('/api/me').set('authorization', `Bearer ${t2}`)).status).toBe(200);
      await root.del(people('ivy'));
      const gone = await api.http.post('/api/auth/refresh').set('authorization', `Bearer ${t2}`);
      expect(gone.status).toBe(401);
      expect((gone.body as { code: string }).code).toBe('IDENTITY.PROVIDER_REFUSED');
      expect((await api.http.get('/api/me').set('authorization', `Bearer ${t2}`)).status).toBe(401);
    } finally {
      await root.unbind().catch(() => undefined);
    }
  });
});
