import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/**
 * Defect 7: crafted bodies used to answer 500 (stack overflow on 30,000 nested arrays; 1e308 as a
 * version). Every JSON body goes through one parser with depth and number limits; versions are safe
 * positive integers. Defect 8: a PATCH with neither `version` nor If-Match is refused with 428.
 */
describe('crafted bodies and blind updates (defects 7 and 8)', () => {
  let t: TestAdminApi;
  let admin: string;
  let userId: string;
  let roleId: string;

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
    const u = await t.http
      .post('/api/users')
      .set(bearer(admin))
      .send({ username: 'crafted', password: 'crafted-secret-1' })
      .expect(201);
    userId = u.body.id;
    const r = await t.http
      .post('/api/roles')
      .set(bearer(admin))
      .send({ name: 'crafted-role', permissions: [] })
      .expect(201);
    roleId = r.body.id;
  });
  afterAll(async () => {
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  function expectProblem(
    res: { status: number; headers: Record<string, string>; body: unknown },
    status: number,
  ) {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toMatch(/\n\s+at |RangeError|Maximum call stack/);
  }

  const raw = (method: 'post' | 'patch', path: string, body: string, token?: string) => {
    const req = t.http[method](path).set('Content-Type', 'application/json');
    if (token) req.set(bearer(token));
    return req.send(body);
  };

  describe('deep nesting is refused at the parser', () => {
    it.each([
      ['POST /api/login', 'post', '/api/login', false],
      ['POST /api/client-registry/register', 'post', '/api/client-registry/register', false],
      ['POST /api/users', 'post', '/api/users', true],
    ] as const)('30,000 nested [ on %s → 400 problem+json', async (_name, method, path, auth) => {
      const res = await raw(method, path, nested(30_000), auth ? admin : undefined);
      expectProblem(res, 400);
      expect(res.body.code).toBe('HTTP.JSON_TOO_DEEP');
    });

    it('30,000 nested objects on PATCH /api/users/{id} → 400 problem+json', async () => {
      const res = await raw('patch', `/api/users/${userId}`, nestedObject(30_000), admin);
      expectProblem(res, 400);
      expect(res.body.code).toBe('HTTP.JSON_TOO_DEEP');
    });

    it('an unterminated 30,000-deep body is malformed JSON, not a 500', async () => {
      const res = await raw('post', '/api/login', '['.repeat(30_000));
      expectProblem(res, 400);
    });

    it('ordinary nesting still works (a role with permissions)', async () => {
      const res = await t.http
        .post('/api/roles')
        .set(bearer(admin))
        .send({ name: 'nested-ok', permissions: [{ context: 'mqtt', resource: 'a/b', operation: 'read' }] });
      expect(res.status).toBe(201);
    });
  });

  describe('numbers out of range', () => {
    it.each([
      ['users', () => `/api/users/${userId}`],
      ['roles', () => `/api/roles/${roleId}`],
    ])('{"version":1e308} on PATCH %s → 400 problem+json', async (_n, path) => {
      const res = await raw('patch', path(), '{"version":1e308}', admin);
      expectProblem(res, 400);
    });

    it.each(['1e400', '-1e400', '123456789012345678901234567890'])(
      'a number the parser cannot represent exactly (%s) → 400 HTTP.JSON_NUMBER_OUT_OF_RANGE',
      async (n) => {
        const res = await raw('patch', `/api/users/${userId}`, `{"version":${n}}`, admin);
        expectProblem(res, 400);
        expect(res.body.code).toBe('HTTP.JSON_NUMBER_OUT_OF_RANGE');
      },
    );

    it.each(['2147483648', '9007199254740993', '0', '-1', '1.5'])(
      'version %s is not a version a row can have (1 … 2^31-1) → 400 VALIDATION',
      async (n) => {
        const res = await raw('patch', `/api/roles/${roleId}`, `{"version":${n}}`, admin);
        expectProblem(res, 400);
      },
    );
  });

  it.each(['"99999999999"', '"0"', '"2147483648"'])(
    'If-Match %s (never issued) → 400, not a 500',
    async (tag) => {
      const res = await t.http
        .patch(`/api/users/${userId}`)
        .set(bearer(admin))
        .set('If-Match', tag)
        .send({ enabled: true });
      expectProblem(res, 400);
      expect(res.body.code).toBe('HTTP.BAD_IF_MATCH');
    },
  );

  describe('no blind updates (defect 8)', () => {
    it.each([
      ['users', () => `/api/users/${userId}`, { enabled: true }],
      ['roles', () => `/api/roles/${roleId}`, { permissions: [] }],
    ])('PATCH %s without version or If-Match → 428 problem+json, nothing changed', async (_n, path, body) => {
      const before = await t.http.get(path()).set(bearer(admin)).expect(200);
      const res = await t.http.patch(path()).set(bearer(admin)).send(body);
      expectProblem(res, 428);
      expect(res.body.code).toBe('HTTP.PRECONDITION_REQUIRED');
      const after = await t.http.get(path()).set(bearer(admin)).expect(200);
      expect(after.body.version).toBe(before.body.version);
    });

    it('the same PATCH with If-Match or version is applied', async () => {
      const before = await t.http.get(`/api/users/${userId}`).set(bearer(admin)).expect(200);
      await t.http
        .patch(`/api/users/${userId}`)
        .set(bearer(admin))
        .set('If-Match', before.headers.etag)
        .send({ enabled: true })
        .expect(200);
      const mid = await t.http.get(`/api/users/${userId}`).set(bearer(admin)).expect(200);
      await t.http
        .patch(`/api/users/${userId}`)
        .set(bearer(admin))
        .send({ enabled: true, version: mid.body.version })
        .expect(200);
    });
  });
  /**
   * Found by the HTTP fuzz suite: text that UTF-8 cannot hold as sent used to be stored changed, with
   * U+FFFD in place of a lone surrogate escape (`\ud800`) or of bytes that are not UTF-8. Data must
   * never be silently altered: such bodies are refused and nothing is stored.
   */
  describe('text that cannot be stored as sent is refused, not altered', () => {
    const role = (name: string) => `{"name":"${name}","permissions":[]}`;
    const roleNames = async () =>
      (
        (await t.http.get('/api/roles?limit=200').set(bearer(admin)).expect(200)).body.items as {
          name: string;
        }[]
      ).map((r) => r.name);

    it.each([
      ['a lone high surrogate escape', 'lone-high-\\ud800'],
      ['a lone low surrogate escape', 'lone-low-\\udc00'],
      ['a high surrogate escape followed by a non-surrogate', 'lone-pair-\\ud800\\u0041'],
      ['a high surrogate escape at the end of the string', 'lone-end-\\uD83D'],
    ])('%s → 400 HTTP.JSON_INVALID_TEXT, no role created', async (_n, name) => {
      const res = await raw('post', '/api/roles', role(name), admin);
      expectProblem(res, 400);
      expect(res.body.code).toBe('HTTP.JSON_INVALID_TEXT');
      expect((await roleNames()).filter((n) => n.startsWith('lone-'))).toEqual([]);
    });

    it('bytes that are not UTF-8 → 400 HTTP.JSON_INVALID_TEXT, no role created', async () => {
      const body = Buffer.concat([
        Buffer.from('{"name":"bad-bytes-role","description":"plant '),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('","permissions":[]}'),
      ]);
      // fetch sends the bytes as they are (supertest would serialize a Buffer as JSON)
      const res = await fetch(`${t.api.httpUrl}/api/roles`, {
        method: 'POST',
        headers: { ...bearer(admin), 'Content-Type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(((await res.json()) as { code: string }).code).toBe('HTTP.JSON_INVALID_TEXT');
      expect((await roleNames()).filter((n) => n.startsWith('bad-bytes-'))).toEqual([]);
    });

    it('a surrogate pair (an emoji, escaped or as UTF-8) is stored as sent', async () => {
      const res = await raw('post', '/api/roles', role('pair-ok-\\ud83d\\ude00-\u{1F600}'), admin);
      expect(res.status).toBe(201);
      expect(res.body.name).toBe('pair-ok-\u{1F600}-\u{1F600}');
    });
  });

  describe('a NUL byte in a query string is refused (http-fuzz found a 500 on GET /api/audit-events)', () => {
    it.each([
      '/api/audit-events?actor=a%00b',
      '/api/audit-events?action=user.create%00',
      '/api/audit-events?targetId=%00',
      '/api/users?cursor=%00',
      '/api/roles?cursor=x%00y',
      '/api/client-registry/requests?cursor=%00',
    ])('GET %s → 400 problem+json naming the parameter', async (path) => {
      const res = await t.http.get(path).set(bearer(admin));
      expectProblem(res, 400);
      expect(res.body.code).toBe('VALIDATION');
      expect(res.body.detail).toMatch(/U\+0000/);
      expect(res.body.detail).toMatch(/^(actor|action|targetId|cursor)\b/);
    });
  });
});
