/**
 * Escalation declared once (issue 9 "Structure", ../shared/CONVENTIONS.md "Request path", ADR 0014): every write route
 * on users, roles, tokens, certificates and registry grants declares what it hands out
 * (`x-gatehouse-escalation` in openapi.json, written by `@HandsOut` / `@HandsOutNothing`), and the one
 * guard that enforces the declarations answers bad input with 400 problem+json, never a 5xx.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

type Operation = Record<string, unknown>;
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
}

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'];
const TARGETS = ['new-user', 'user', 'new-role', 'role', 'registration-request', 'policy'];
const HANDED_OUT = [
  'permissions',
  'roles',
  'credentials-of-target-user',
  'denies-of-role',
  'permissions-of-version',
  'external-groups',
  'policy-document',
];
const TARGETS_WITH_ID = ['user', 'role', 'registration-request'];

/** Routes that hand out access or act on accounts: users, roles, tokens, certificates, registry grants. */
function inScope(path: string): boolean {
  return (
    /^\/api\/(users|roles)(\/|$)/.test(path) ||
    /^\/api\/client-registry\/requests(\/|$)/.test(path) ||
    /^\/api\/policy(\/|$)/.test(path) ||
    /\/(tokens|certificates)(\/|$)/.test(path)
  );
}

/** Every problem with the declarations of `doc`: missing on an in-scope write route, or malformed anywhere. */
function escalationProblems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!WRITE_METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const d = op['x-gatehouse-escalation'] as Record<string, unknown> | undefined;
      if (d === undefined) {
        if (inScope(path))
          problems.push(`${where} declares nothing (use @HandsOut or @HandsOutNothing(reason))`);
        continue;
      }
      if (d.handsOut === 'none') {
        if (typeof d.reason !== 'string' || d.reason.trim() === '')
          problems.push(`${where}: none without a reason`);
        continue;
      }
      if (typeof d.to !== 'string' || !TARGETS.includes(d.to))
        problems.push(`${where}: unknown target ${String(d.to)}`);
      if (
        !Array.isArray(d.handsOut) ||
        d.handsOut.length === 0 ||
        !d.handsOut.every((h) => HANDED_OUT.includes(h as string))
      ) {
        problems.push(`${where}: handsOut must list ${HANDED_OUT.join(', ')}`);
      }
      if (TARGETS_WITH_ID.includes(d.to as string) && !path.includes('{id}'))
        problems.push(`${where}: target ${String(d.to)} needs {id} in the path`);
    }
  }
  return problems;
}

const committed = (): OpenApiDocument =>
  JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as OpenApiDocument;

describe('escalation declared once (openapi.json)', () => {
  it('every write route on users, roles, tokens, certificates and registry grants declares what it hands out', () => {
    expect(escalationProblems(committed())).toEqual([]);
  });

  it('covers the routes it must (the scope is not empty)', () => {
    const declared = Object.entries(committed().paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([m, op]) => WRITE_METHODS.includes(m) && op['x-gatehouse-escalation'] !== undefined)
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(declared).toEqual(
      expect.arrayContaining([
        'POST /api/users',
        'PATCH /api/users/{id}',
        'DELETE /api/users/{id}',
        'DELETE /api/users/{id}/tokens/{tokenId}',
        'POST /api/users/{id}/certificates',
        'DELETE /api/users/{id}/certificates/{fingerprint}',
        'POST /api/roles',
        'PATCH /api/roles/{id}',
        'POST /api/client-registry/requests/{id}/grant',
        'POST /api/policy/apply',
      ]),
    );
  });

  it('fails for a write route that declares nothing, a none without reason, or a bad target', () => {
    const doc: OpenApiDocument = {
      paths: {
        '/api/users/{id}/mfa': { delete: {}, get: {} },
        '/api/roles/{id}/rollback': { post: { 'x-gatehouse-escalation': { handsOut: 'none', reason: ' ' } } },
        '/api/roles': { post: { 'x-gatehouse-escalation': { to: 'user', handsOut: ['permissions'] } } },
        '/api/things': { post: {} },
      },
    };
    expect(escalationProblems(doc)).toEqual([
      'DELETE /api/users/{id}/mfa declares nothing (use @HandsOut or @HandsOutNothing(reason))',
      'POST /api/roles/{id}/rollback: none without a reason',
      'POST /api/roles: target user needs {id} in the path',
    ]);
  });
});

describe('the escalation guard at the edge: bad input is a 400, never a 5xx', () => {
  let t: TestAdminApi;
  let admin: string;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await t.stop();
  });

  it.each<[string, string, string, object]>([
    ['a non-UUID user id', 'patch', '/api/users/not-a-uuid', { enabled: false, version: 1 }],
    ['a non-UUID role id', 'patch', '/api/roles/1%27%20or%201=1', { permissions: [], version: 1 }],
    ['a non-UUID request id', 'post', '/api/client-registry/requests/x/grant', {}],
    ['permissions that are not an array', 'post', '/api/users', { username: 'x-user', permissions: 'all' }],
    [
      'a permission without resource',
      'post',
      '/api/roles',
      { name: 'r1', permissions: [{ context: 'mqtt', operation: 'read' }] },
    ],
    ['a permission that is null', 'post', '/api/roles', { name: 'r2', permissions: [null] }],
    [
      'an invalid pattern',
      'post',
      '/api/roles',
      { name: 'r3', permissions: [{ context: 'mqtt', resource: 'a/#/b', operation: 'read' }] },
    ],
    ['role ids that are not UUIDs', 'post', '/api/users', { username: 'y-user', roles: ["1' or '1'='1"] }],
    ['role ids that are objects', 'post', '/api/users', { username: 'z-user', roles: [{ id: 1 }] }],
  ])('%s → 400 problem+json', async (_name, method, path, body) => {
    const req = method === 'patch' ? t.http.patch(path) : t.http.post(path);
    const res = await req.set(bearer(admin)).send(body);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('an unknown target is a 404, an unknown role id a 400', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const user = await t.http
      .patch(`/api/users/${missing}`)
      .set(bearer(admin))
      .send({ enabled: false, version: 1 });
    expect(user.status).toBe(404);
    const role = await t.http
      .post('/api/users')
      .set(bearer(admin))
      .send({ username: 'with-missing-role', password: 'Missing-role-1', roles: [missing] });
    expect(role.status).toBe(400);
    expect(role.body.code).toBe('IDENTITY.UNKNOWN_ROLE');
  });
});
