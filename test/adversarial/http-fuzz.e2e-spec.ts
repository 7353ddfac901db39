// HTTP fuzz suite (issue 9, adversarial suites): requests generated with fast-check from the committed
// openapi.json for every operation, as anonymous and as admin: bodies with missing, wrong-typed,
// oversized, nested and unknown fields, bad ids, bad cursors, bad query parameters, huge and deep JSON,
// wrong content types. Every answer: no 5xx, no stack trace, and every error is
// `application/problem+json` with a matching `status`. All failures are collected and reported
// together (grouped), not just the first. FUZZ_SEED / HTTP_FUZZ_RUNS change the seed and the volume.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import * as fc from 'fast-check';
import { ADMIN_PASSWORD, startTestAdminApi, type TestAdminApi } from '../support/admin-api';
import {
  encode,
  fillPath,
  looksLikeStackTrace,
  type Op,
  operations,
  resolve,
  type Schema,
} from './openapi-operations';

const SEED = Number(process.env.FUZZ_SEED ?? 20260909);
const RUNS = Number(process.env.HTTP_FUZZ_RUNS ?? 40);

interface FuzzRequest {
  params: Record<string, string>;
  query: string;
  headers: Record<string, string>;
  body?: string;
  kind: string;
}

// ---- values -------------------------------------------------------------------------------------

const weirdStrings = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '💥'.repeat(50),
  '../../etc/passwd',
  '%00',
  '%ff%fe',
  "' OR 1=1 --",
  '${username}',
  '#',
  '+',
  '/',
  '__proto__',
  'x'.repeat(300),
  'x'.repeat(70_000),
  '1e308',
  'null',
  'NaN',
);
const wrongTyped = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 0.5),
  fc.string(),
  weirdStrings,
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
);
/** JSON text of `depth` alternately nested objects and arrays around `leaf` (built as text: no recursion). */
const nested = (depth: number, leaf = '"x"'): string => {
  const open: string[] = [];
  const close: string[] = [];
  for (let i = 0; i < depth; i++) {
    open.push(i % 2 ? '[' : '{"a":');
    close.unshift(i % 2 ? ']' : '}');
  }
  return open.join('') + leaf + close.join('');
};

/** A value that fits the schema (roughly): the start point for mutations. */
function valueOf(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (!s || depth > 3) return wrongTyped;
  if (s.enum) return fc.constantFrom(...s.enum);
  const alt = s.oneOf ?? s.anyOf ?? s.allOf;
  if (alt?.length) return fc.oneof(...alt.map((x) => valueOf(x, depth + 1)));
  switch (s.type ?? 'object') {
    case 'string':
      return fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), weirdStrings, fc.uuid().map(String));
    case 'number':
    case 'integer':
      return fc.oneof(fc.integer({ min: -5, max: 300 }), fc.constantFrom(1e308, -1, 0, 1.5));
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valueOf(s.items, depth + 1), { maxLength: 3 });
    case 'object':
    default:
      return objectOf(s, depth);
  }
}
function objectOf(s: Schema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const props = Object.entries(s.properties ?? {});
  if (!props.length) return fc.dictionary(fc.string({ maxLength: 8 }), wrongTyped, { maxKeys: 3 });
  return fc.record(Object.fromEntries(props.map(([k, v]) => [k, valueOf(v, depth + 1)])), {
    requiredKeys: s.required ?? [],
  });
}

/** Mutations of a schema-shaped body: each names itself in `kind`. */
function bodies(schema: Schema | undefined): fc.Arbitrary<{ kind: string; body: string; type?: string }> {
  const s = resolve(schema);
  const props = Object.keys(s?.properties ?? {});
  const base = valueOf(s).map((v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {}));
  const json = (kind: string) => (v: unknown) => ({ kind, body: JSON.stringify(v) });
  const arbs: fc.Arbitrary<{ kind: string; body: string; type?: string }>[] = [
    base.map(json('schema-shaped')),
    fc.constant({ kind: 'empty object', body: '{}' }),
    fc.constant({ kind: 'unknown fields', body: '{"zzz":1,"__proto__":{"admin":true},"constructor":{}}' }),
    wrongTyped.map(json('not an object')),
    fc.constant({ kind: '30,000 nested [', body: '['.repeat(30_000) }),
    fc.constant({ kind: '30,000 nested arrays', body: '['.repeat(30_000) + ']'.repeat(30_000) }),
    fc.constant({ kind: '5,000 nested objects', body: nested(5_000) }),
    fc.constant({ kind: 'truncated JSON', body: '{"username": "adm' }),
    fc.constant({ kind: 'not JSON', body: 'username=admin&password=x' }),
    fc.constant({
      kind: 'oversized body (2 MiB)',
      body: JSON.stringify({ username: 'x'.repeat(2 * 1024 * 1024) }),
    }),
    fc.constant({ kind: 'wrong content type (text/plain)', body: '{}', type: 'text/plain' }),
    fc.constant({ kind: 'wrong content type (xml)', body: '<a/>', type: 'application/xml' }),
    fc.constant({
      kind: 'json content type, utf-16 charset',
      body: '{}',
      type: 'application/json; charset=utf-16',
    }),
    fc.constant({
      kind: 'json content type, bogus charset',
      body: '{}',
      type: 'application/json; charset=bogus',
    }),
    fc.constant({ kind: 'multipart', body: '--x\r\n\r\n--x--', type: 'multipart/form-data; boundary=x' }),
  ];
  if (props.length) {
    arbs.push(
      fc.tuple(base, fc.constantFrom(...props)).map(([v, k]) => {
        const copy: Record<string, unknown> = { ...v };
        delete copy[k];
        return { kind: `missing ${k}`, body: JSON.stringify(copy) };
      }),
      fc.tuple(base, fc.constantFrom(...props), wrongTyped).map(([v, k, w]) => ({
        kind: `wrong-typed ${k}`,
        body: JSON.stringify({ ...v, [k]: w }),
      })),
      fc.tuple(base, fc.constantFrom(...props)).map(([v, k]) => ({
        kind: `oversized ${k}`,
        body: JSON.stringify({ ...v, [k]: 'x'.repeat(100_000) }),
      })),
      fc.tuple(base, fc.constantFrom(...props), fc.integer({ min: 10, max: 2_000 })).map(([v, k, d]) => ({
        kind: `nested ${k}`,
        body: JSON.stringify({ ...v, [k]: '\u0001nest' }).replace('"\\u0001nest"', nested(d)),
      })),
      fc.tuple(base, fc.constantFrom(...props)).map(([v, k]) => ({
        kind: `huge number ${k}`,
        body: JSON.stringify({ ...v, [k]: 0 }).replace(`"${k}":0`, `"${k}":1e308`),
      })),
      fc.tuple(base, fc.constantFrom(...props)).map(([v, k]) => ({
        kind: `number literal out of range ${k}`,
        body: JSON.stringify({ ...v, [k]: 0 }).replace(`"${k}":0`, `"${k}":1e999`),
      })),
    );
  }
  return fc.oneof(...arbs);
}

/** Bad, odd and plausible ids; `known` are real ids so that some requests reach the service. */
function ids(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(...known),
    fc.uuid().map(String),
    weirdStrings,
    fc.constantFrom(
      '0',
      '-1',
      '00000000-0000-0000-0000-000000000000',
      randomUUID().toUpperCase(),
      'a'.repeat(64),
    ),
    fc.string({ maxLength: 40 }),
  );
}

const queryValue = fc.oneof(
  fc.constantFrom('0', '-1', '1', '200', '201', '1e308', 'abc', '', '%00', 'NaN', '1.5', '9'.repeat(400)),
  weirdStrings.map((s) => encode(s.slice(0, 2_000))),
  fc.base64String({ maxLength: 200 }).map(encodeURIComponent),
  fc.string({ maxLength: 20 }).map(encode),
);
function queries(op: Op): fc.Arbitrary<string> {
  const names = (op.op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  const all = [...names, 'unknown', 'limit[]', '__proto__[x]'];
  return fc
    .array(fc.tuple(fc.constantFrom(...all), queryValue), { maxLength: 4 })
    .map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${encode(k)}=${v}`).join('&') : ''));
}

const ifMatch = fc.oneof(
  fc.constantFrom('"1"', '*', 'W/"1"', '"abc"', '"1e308"', '', '"-1"'),
  fc.string({ maxLength: 20 }),
);

function requestsFor(op: Op, known: string[]): fc.Arbitrary<FuzzRequest> {
  const pathParams = (op.path.match(/\{([^}]+)\}/g) ?? []).map((p) => p.slice(1, -1));
  const takesBody = !!op.op.requestBody;
  return fc
    .record({
      params: fc.record(Object.fromEntries(pathParams.map((p) => [p, ids(known)]))),
      query: queries(op),
      body: takesBody ? bodies(op.body) : fc.option(bodies(undefined), { freq: 4 }),
      ifMatch: fc.option(ifMatch, { freq: 3 }),
    })
    .map(({ params, query, body, ifMatch: im }) => ({
      params,
      query,
      headers: {
        ...(body ? { 'content-type': body.type ?? 'application/json' } : {}),
        ...(im !== null ? { 'if-match': im } : {}),
      },
      ...(body ? { body: body.body } : {}),
      kind: body ? body.kind : 'no body',
    }));
}

// ---- the suite ----------------------------------------------------------------------------------

interface Failure {
  where: string;
  kind: string;
  status: number;
  problem: string;
  /** The start of the request body, to reproduce. */
  sample: string;
}

describe('HTTP fuzz from openapi.json (issue 9)', () => {
  let t: TestAdminApi;
  let known: string[];
  const failures: Failure[] = [];
  let sent = 0;

  beforeAll(async () => {
    t = await startTestAdminApi({ CLIENT_REGISTRY_RATE_LIMIT_PER_IP: '1000000' });
    const admin = await t.adminToken();
    const user = await t.http
      .post('/api/users')
      .set({ authorization: `Bearer ${admin}` })
      .send({ username: 'fuzz-target', password: 'Fuzz-target-pw-91', roles: [], permissions: [] });
    const role = await t.http
      .post('/api/roles')
      .set({ authorization: `Bearer ${admin}` })
      .send({ name: 'fuzz-role', permissions: [] });
    known = [user.body.id as string, role.body.id as string];
  });
  afterAll(async () => {
    console.log(`HTTP fuzz: ${sent} requests, ${failures.length} failures`);
    await t?.stop();
  });

  async function send(method: string, path: string, r: Omit<FuzzRequest, 'params'>, token?: string) {
    const where = `${method.toUpperCase()} ${path}`;
    sent++;
    let status = 0;
    try {
      const res = await fetch(`${t.api.httpUrl}${path}${r.query}`, {
        method: method.toUpperCase(),
        headers: { ...r.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(r.body !== undefined && method !== 'get' && method !== 'head' ? { body: r.body } : {}),
      });
      status = res.status;
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      const problems: string[] = [];
      if (status >= 500) problems.push(`5xx: ${text.slice(0, 200)}`);
      if (looksLikeStackTrace(text)) problems.push(`stack trace: ${text.slice(0, 200)}`);
      if (status >= 400) {
        if (!/^application\/problem\+json/.test(type)) problems.push(`content-type ${JSON.stringify(type)}`);
        else if (method !== 'head') {
          const body = JSON.parse(text) as { status?: number; code?: unknown; title?: unknown };
          if (body.status !== status || typeof body.code !== 'string' || typeof body.title !== 'string')
            problems.push(`problem body ${text.slice(0, 200)}`);
        }
      }
      for (const problem of problems)
        failures.push({ where, kind: r.kind, status, problem, sample: sampleOf(r.body) });
    } catch (err) {
      failures.push({
        where,
        kind: r.kind,
        status,
        problem: `request failed: ${String(err)}`,
        sample: sampleOf(r.body),
      });
    }
  }

  const ops = operations();
  describe.each(ops.map((o) => [`${o.method.toUpperCase()} ${o.path}`, o] as const))('%s', (_name, o) => {
    it.each(['anonymous', 'admin'])('as %s', async (caller) => {
      const before = failures.length;
      // A fresh admin token per operation: the logout and password routes may end the previous one.
      const token = caller === 'admin' ? await t.login('admin', ADMIN_PASSWORD) : undefined;
      const cases = fc.sample(requestsFor(o, known), {
        numRuns: RUNS,
        seed: SEED + ops.indexOf(o) * 7 + (caller === 'admin' ? 1 : 0),
      });
      for (const r of cases) {
        // The admin's own id would let the fuzz disable or delete the admin mid-run; fixtures only.
        await send(o.method, fillPath(o.path, r.params), r, token);
      }
      // Bad credentials of every shape on every route.
      if (caller === 'anonymous')
        for (const auth of [
          'Bearer',
          'Bearer x',
          'Bearer a.b.c',
          'Basic YWRtaW46eA==',
          'Bearer ' + 'x'.repeat(8_000),
        ])
          await send(o.method, fillPath(o.path, { id: known[0] }), {
            query: '',
            headers: { authorization: auth },
            kind: `authorization ${auth.slice(0, 12)}`,
          });
      const mine = failures.slice(before);
      expect(summarize(mine)).toEqual([]);
    });
  });

  it('unknown routes, odd methods and oversized headers answer problem+json', async () => {
    const before = failures.length;
    const token = await t.login('admin', ADMIN_PASSWORD);
    const paths = [
      '/api/nope',
      '/api',
      '/',
      '/api/users/x/y/z',
      '/%',
      '/api/%E0%A4%A',
      '/api/users/' + 'a'.repeat(10_000),
    ];
    for (const p of paths)
      for (const m of ['get', 'post', 'put', 'delete', 'patch', 'options', 'head'])
        await send(m, p, { query: '', headers: {}, kind: 'unknown route' }, token);
    await send(
      'get',
      '/api/me',
      { query: '', headers: { 'x-big': 'x'.repeat(20_000) }, kind: 'oversized header (20 KB)' },
      token,
    );
    await send(
      'get',
      '/api/users',
      { query: '?' + 'a=1&'.repeat(5_000), headers: {}, kind: '5,000 query parameters' },
      token,
    );
    expect(summarize(failures.slice(before))).toEqual([]);
  });
});

function sampleOf(body: string | undefined): string {
  return body === undefined ? '' : JSON.stringify(body.length > 100 ? `${body.slice(0, 100)}…` : body);
}

/** One line per distinct (route, kind of input, status, problem), with a count and one request body. */
function summarize(fs: Failure[]): string[] {
  const counts = new Map<string, { n: number; sample: string }>();
  for (const f of fs) {
    const key = `${f.where.replace(/\/[^/]{40,}/g, '/…')} [${f.kind}] → ${f.status}: ${f.problem.slice(0, 160)}`;
    const seen = counts.get(key);
    counts.set(key, { n: (seen?.n ?? 0) + 1, sample: seen?.sample ?? f.sample });
  }
  return [...counts].map(([k, { n, sample }]) => `${n}× ${k}${sample ? ` (body ${sample})` : ''}`);
}
