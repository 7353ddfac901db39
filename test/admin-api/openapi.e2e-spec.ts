import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { PROBLEM_STATUS, type ProblemCode } from '../../apps/admin-api/src/http/api-problems.decorator';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

/** Issue 13: the OpenAPI document is complete enough for a generator, and the server answers what it says. */

interface MediaType {
  schema?: { $ref?: string; type?: string };
  examples?: Record<string, { value: { status: number; code: string; type: string } }>;
}
interface ResponseObject {
  description: string;
  content?: Record<string, MediaType>;
  headers?: Record<string, unknown>;
}
interface Operation {
  operationId: string;
  summary?: string;
  security?: Record<string, string[]>[];
  responses: Record<string, ResponseObject>;
  'x-gatehouse-access'?: 'public' | 'self' | 'http-permission';
}
interface Doc {
  servers?: { url: string }[];
  security?: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}
interface Op {
  method: string;
  path: string;
  op: Operation;
}

const PROBLEM_JSON = 'application/problem+json';
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

function operations(doc: Doc): Op[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method, path, op })),
  );
}

describe('OpenAPI document', () => {
  let t: TestAdminApi;
  let doc: Doc;
  let ops: Op[];
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi();
    doc = (await t.http.get('/api/openapi.json').expect(200)).body as Doc;
    ops = operations(doc);
    admin = await t.adminToken();
  });
  afterAll(async () => {
    await t.stop();
  });

  const byId = (operationId: string): Operation => {
    const found = ops.find((o) => o.op.operationId === operationId);
    if (!found) throw new Error(`no operation ${operationId}`);
    return found.op;
  };

  /**
   * The answer of a real request is in the contract: its status is declared for the operation, and an
   * error is problem+json with a code the operation lists under that status.
   */
  function expectDeclared(operationId: string, res: Response, code?: string): void {
    const op = byId(operationId);
    const declared = op.responses[String(res.status)];
    expect({ operationId, status: res.status, declared: declared !== undefined }).toEqual({
      operationId,
      status: res.status,
      declared: true,
    });
    if (res.status < 400) return;
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.body as { code: string; status: number };
    expect(body.status).toBe(res.status);
    if (code !== undefined) expect(body.code).toBe(code);
    expect(Object.keys(declared.content?.[PROBLEM_JSON]?.examples ?? {})).toContain(body.code);
  }

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as object;
    expect(doc).toEqual(committed);
  });

  it('names a server and requires the bearer token unless an operation says otherwise', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(ops.length).toBeGreaterThan(40);
  });

  it('gives every operation a summary and a success response with a schema (204: no body; 302: a Location)', () => {
    const broken: string[] = [];
    for (const { op } of ops) {
      if (!op.summary?.trim()) broken.push(`${op.operationId}: no summary`);
      const success = Object.entries(op.responses).filter(([s]) => /^2\d\d$|^302$/.test(s));
      if (success.length === 0) broken.push(`${op.operationId}: no 2xx`);
      for (const [status, r] of success) {
        if (status === '302') {
          // a redirect (the OIDC login): no body, the target in Location
          if (r.content || !r.headers?.Location) broken.push(`${op.operationId}: 302 without a Location`);
          continue;
        }
        if (status === '204') {
          if (r.content) broken.push(`${op.operationId}: 204 with a body`);
          continue;
        }
        const schemas = Object.values(r.content ?? {}).filter((m) => m.schema?.$ref ?? m.schema?.type);
        if (schemas.length === 0) broken.push(`${op.operationId}: ${status} without a schema`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('declares every error as problem+json with the ProblemDetails schema and an example per code of that status', () => {
    expect(doc.components.schemas.ProblemDetails).toBeDefined();
    const broken: string[] = [];
    for (const { op } of ops) {
      for (const [status, r] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const types = Object.keys(r.content ?? {});
        if (types.join() !== PROBLEM_JSON)
          broken.push(`${op.operationId} ${status}: ${types.join() || 'no body'}`);
        const media = r.content?.[PROBLEM_JSON];
        if (media?.schema?.$ref !== '#/components/schemas/ProblemDetails')
          broken.push(`${op.operationId} ${status}: schema ${JSON.stringify(media?.schema)}`);
        const examples = Object.entries(media?.examples ?? {});
        if (examples.length === 0) broken.push(`${op.operationId} ${status}: no example`);
        for (const [code, { value }] of examples) {
          // the filter's own table: the code is answered with this status
          const answered: number = PROBLEM_STATUS[code as ProblemCode];
          if (answered !== Number(status) || value.status !== Number(status))
            broken.push(`${op.operationId} ${status}: ${code} is answered with ${answered}`);
          if (value.code !== code || value.type !== `urn:gatehouse:problem:${code.toLowerCase()}`)
            broken.push(`${op.operationId} ${status}: example ${code} is not its own problem`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('marks public operations with empty security, and declares 401 (and 403 where the guard can refuse) on the others', () => {
    const broken: string[] = [];
    for (const { op } of ops) {
      const access = op['x-gatehouse-access'];
      const statuses = Object.keys(op.responses);
      if (access === 'public') {
        if (JSON.stringify(op.security) !== '[]')
          broken.push(`${op.operationId}: public without security []`);
        continue;
      }
      if (JSON.stringify(op.security) !== JSON.stringify([{ bearer: [] }]))
        broken.push(`${op.operationId}: ${access} without bearer security`);
      if (!statuses.includes('401')) broken.push(`${op.operationId}: no 401`);
      if (access === 'http-permission' && !statuses.includes('403')) broken.push(`${op.operationId}: no 403`);
    }
    expect(broken).toEqual([]);
    // the self routes a user who must enrol in MFA may use cannot answer 403; the others can
    expect(Object.keys(byId('Auth_me').responses)).not.toContain('403');
    expect(Object.keys(byId('Auth_changePassword').responses)).toContain('403');
  });

  it('every guarded operation, called without a token, answers a declared 401 problem', async () => {
    for (const { method, path, op } of ops.filter((o) => o.op['x-gatehouse-access'] !== 'public')) {
      const url = path.replace(/\{[^}]+\}/g, randomUUID());
      const res = await t.http[method as 'get'](url);
      expectDeclared(op.operationId, res, 'AUTH.UNAUTHENTICATED');
    }
  });

  it('whatever every operation answers the administrator for unknown ids, bad ids and empty bodies is declared', async () => {
    // logout would end the administrator's token; everything else is called three ways
    const walked = ops.filter((o) => o.op.operationId !== 'Auth_logout');
    for (const { method, path, op } of walked) {
      const hasBody = ['post', 'put', 'patch'].includes(method);
      for (const id of [randomUUID(), 'not-a-uuid']) {
        if (id === 'not-a-uuid' && !path.includes('{')) continue;
        const req = t.http[method as 'get'](path.replace(/\{[^}]+\}/g, id)).set(bearer(admin));
        const res = hasBody ? await req.send({}) : await req;
        expect(res.status).toBeLessThan(500);
        expectDeclared(op.operationId, res);
      }
    }
  });

  describe('real answers are declared for their operation', () => {
    let roleId: string;
    let etag: string;

    beforeAll(async () => {
      const role = await t.http
        .post('/api/roles')
        .set(bearer(admin))
        .send({
          name: 'contract-role',
          permissions: [{ context: 'http', resource: '/api/users', operation: 'read' }],
        });
      expectDeclared('Roles_create', role);
      roleId = (role.body as { id: string }).id;
      etag = role.headers.etag;
    });

    it('201 and 409 for Users_create', async () => {
      const body = { username: 'contract-alice', password: 'contract-secret-1', roles: [roleId] };
      expectDeclared('Users_create', await t.http.post('/api/users').set(bearer(admin)).send(body));
      expectDeclared(
        'Users_create',
        await t.http.post('/api/users').set(bearer(admin)).send(body),
        'IDENTITY.USER_EXISTS',
      );
    });

    it('400 for Users_create (validation) and Users_get (not a uuid)', async () => {
      const bad = await t.http.post('/api/users').set(bearer(admin)).send({ username: 'a/b' });
      expectDeclared('Users_create', bad, 'VALIDATION');
      expectDeclared('Users_get', await t.http.get('/api/users/not-a-uuid').set(bearer(admin)), 'HTTP.400');
    });

    it('404 for Users_get, Roles_get and Users_revokeToken', async () => {
      const id = randomUUID();
      expectDeclared(
        'Users_get',
        await t.http.get(`/api/users/${id}`).set(bearer(admin)),
        'IDENTITY.USER_NOT_FOUND',
      );
      expectDeclared(
        'Roles_get',
        await t.http.get(`/api/roles/${id}`).set(bearer(admin)),
        'IDENTITY.ROLE_NOT_FOUND',
      );
      const me = (await t.http.get('/api/me').set(bearer(admin)).expect(200)).body as { id: string };
      expectDeclared(
        'Users_revokeToken',
        await t.http.delete(`/api/users/${me.id}/tokens/${id}`).set(bearer(admin)),
        'IDENTITY.TOKEN_NOT_FOUND',
      );
    });

    it('401 with a forged token, 403 without the permission', async () => {
      expectDeclared(
        'Users_list',
        await t.http.get('/api/users').set(bearer('not.a.token')),
        'IDENTITY.INVALID_TOKEN',
      );
      const alice = await t.login('contract-alice', 'contract-secret-1');
      expectDeclared('Users_list', await t.http.get('/api/users').set(bearer(alice)));
      expectDeclared('Roles_list', await t.http.get('/api/roles').set(bearer(alice)), 'AUTH.FORBIDDEN');
    });

    it('428, 412 and 409 for Roles_update; 200 with If-Match', async () => {
      const patch = () => t.http.patch(`/api/roles/${roleId}`).set(bearer(admin));
      expectDeclared('Roles_update', await patch().send({ description: 'x' }), 'HTTP.PRECONDITION_REQUIRED');
      const ok = await patch().set('If-Match', etag).send({ description: 'one' });
      expectDeclared('Roles_update', ok);
      expect(ok.status).toBe(200);
      expectDeclared(
        'Roles_update',
        await patch().set('If-Match', etag).send({ description: 'two' }),
        'IDENTITY.PRECONDITION_FAILED',
      );
      expectDeclared(
        'Roles_update',
        await patch().send({ description: 'two', version: 1 }),
        'IDENTITY.VERSION_CONFLICT',
      );
      expectDeclared('Roles_update', await patch().set('If-Match', 'garbage').send({}), 'HTTP.BAD_IF_MATCH');
    });

    it('409 for deleting a built-in role; 401 for a wrong password at login', async () => {
      const roles = await t.http.get('/api/roles?name=admin').set(bearer(admin)).expect(200);
      const adminRole = (roles.body as { items: { id: string }[] }).items[0].id;
      expectDeclared(
        'Roles_delete',
        await t.http.delete(`/api/roles/${adminRole}`).set(bearer(admin)),
        'IDENTITY.BUILT_IN_ROLE',
      );
      expectDeclared(
        'Auth_login',
        await t.http.post('/api/login').send({ username: 'admin', password: 'wrong' }),
        'IDENTITY.INVALID_CREDENTIALS',
      );
    });

    it('423 for a device registering while the registry is locked', async () => {
      const res = await t.http
        .post('/api/client-registry/register')
        .send({ username: 'contract-device', password: 'device-secret-1' });
      expectDeclared('ClientRegistry_register', res, 'REGISTRY.LOCKED');
    });
  });
});
