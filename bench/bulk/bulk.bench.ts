/**
 * Bulk policy apply (issue 13, ADR 0028): one policy document of 50,000 users with 2 direct permissions
 * and one role each (and 5 roles of 3 permissions) applied through the real route,
 * `POST /api/policy/apply`, on admin-api (dist/, its own process) with the embedded PGlite database
 * (the default) and, when BENCH_DATABASE_URL names a PostgreSQL server, on a fresh database there.
 * Measured: the first apply (everything created), a dry run and a second apply of the same document
 * (nothing to change), and the export. Reference, in the same run and database: the same rows written
 * by plain multi-row SQL INSERTs (1,000 rows per statement) in one transaction; ratio = apply / reference.
 * EMQX imports 50,000 users in 1.7 s (issue 13); the goal is well under a minute.
 *
 *   npm run bench:bulk                   full run: bench/results/bulk.json + README table
 *   npm run bench:bulk -- --quick        smoke run (5,000 users): bench/.tmp/bulk.quick.json
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../../libs/persistence/src/embedded-postgres';
import {
  QUICK,
  TMP,
  fmtInt,
  fmtMs,
  fmtRatio,
  loadAverage,
  log,
  measuredLine,
  nowNs,
  round,
  updateReadme,
  writeResults,
} from '../lib/common';
import {
  type AdminApiProcess,
  type BenchDatabase,
  Rest,
  startAdminApi,
  stopGatehouse,
} from '../lib/gatehouse';
import { beginRun, stop } from '../lib/processes';

const NAME = 'bulk';
const USERS = QUICK ? 5_000 : 50_000;
const ROLES = 5;
const GOAL_MS = 60_000;
const SERVER_URL = process.env.BENCH_DATABASE_URL;

interface Permission {
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
}

const roleName = (k: number) => `line-${k}`;
const username = (i: number) => `device-${String(i).padStart(6, '0')}`;
const rolePermissions = (k: number): Permission[] => [
  { context: 'mqtt', resource: `plant/p${k}/line/+/status`, operation: 'read' },
  { context: 'mqtt', resource: `plant/p${k}/line/+/alarm`, operation: 'read' },
  { context: 'http', resource: '/api/me', operation: 'read' },
];
const userPermissions = (name: string, i: number): Permission[] => [
  { context: 'mqtt', resource: `devices/${name}/#`, operation: 'readWrite' },
  {
    context: 'mqtt',
    resource: `plant/p${i % 20}/line/l${i % 50}/machine/m${i}/telemetry`,
    operation: 'write',
  },
];

function document(): object {
  return {
    apiVersion: 'gatehouse/v1',
    kind: 'Policy',
    roles: [
      {
        name: 'admin',
        description: 'Everything: every MQTT topic and every HTTP endpoint.',
        permissions: [
          { context: 'mqtt', resource: '#', operation: 'readWrite' },
          { context: 'http', resource: '/#', operation: 'readWrite' },
        ],
      },
      {
        name: 'minimum-access',
        description: 'May read its own profile and nothing else.',
        permissions: [{ context: 'http', resource: '/api/me', operation: 'read' }],
      },
      ...Array.from({ length: ROLES }, (_, k) => ({
        name: roleName(k),
        description: `line ${k}`,
        permissions: rolePermissions(k),
      })),
    ],
    users: [
      { username: 'admin', roles: ['admin'] },
      ...Array.from({ length: USERS }, (_, i) => ({
        username: username(i),
        roles: [roleName(i % ROLES)],
        permissions: userPermissions(username(i), i),
      })),
    ],
  };
}

/** The same rows (with `ref-` names), by multi-row INSERT … VALUES, 1,000 rows per statement, in one transaction. */
async function reference(c: Client): Promise<number> {
  const CHUNK = 1000;
  const t0 = nowNs();
  await c.query('BEGIN');
  const roles: { id: string; name: string }[] = (
    await c.query<{ id: string; name: string }>(
      `INSERT INTO roles (name, description) VALUES ${Array.from({ length: ROLES }, (_, k) => `($${2 * k + 1}, $${2 * k + 2})`).join(', ')} RETURNING id, name`,
      Array.from({ length: ROLES }, (_, k) => [`ref-${roleName(k)}`, `line ${k}`]).flat(),
    )
  ).rows;
  const roleIds = new Map(roles.map((r) => [r.name, r.id]));
  const rolePerms = Array.from({ length: ROLES }, (_, k) =>
    rolePermissions(k).map((p, pos) => [
      roleIds.get(`ref-${roleName(k)}`),
      p.context,
      p.resource,
      p.operation,
      pos,
    ]),
  ).flat();
  await insertRows(c, 'permissions (role_id, context, resource, operation, position)', rolePerms);
  for (let from = 0; from < USERS; from += CHUNK) {
    const n = Math.min(CHUNK, USERS - from);
    const names = Array.from({ length: n }, (_, j) => `ref-${username(from + j)}`);
    const ids = (
      await c.query<{ id: string; username: string }>(
        `INSERT INTO users (username, enabled, grant_types, identity_provider) VALUES ${names
          .map((_, j) => `($${j + 2}, true, $1::jsonb, 'local')`)
          .join(', ')} RETURNING id, username`,
        [JSON.stringify([{ method: 'password', isRequired: false }]), ...names],
      )
    ).rows;
    const perms: unknown[][] = [];
    const assignments: unknown[][] = [];
    ids.forEach((u, j) => {
      const i = from + j;
      userPermissions(username(i), i).forEach((p, pos) =>
        perms.push([u.id, p.context, p.resource, p.operation, 'allow', pos]),
      );
      assignments.push([u.id, roleIds.get(`ref-${roleName(i % ROLES)}`)]);
    });
    await insertRows(c, 'permissions (user_id, context, resource, operation, effect, position)', perms);
    await insertRows(c, 'user_roles (user_id, role_id)', assignments);
  }
  await c.query('COMMIT');
  const ms = Number(nowNs() - t0) / 1e6;
  await c.query(`DELETE FROM users WHERE username LIKE 'ref-%'`);
  await c.query(`DELETE FROM roles WHERE name LIKE 'ref-%'`);
  return ms;
}

async function insertRows(c: Client, into: string, rows: readonly unknown[][]): Promise<void> {
  if (rows.length === 0) return;
  const width = rows[0].length;
  const tuples = rows.map(
    (_, r) => `(${Array.from({ length: width }, (__, k) => `$${r * width + k + 1}`).join(', ')})`,
  );
  await c.query(`INSERT INTO ${into} VALUES ${tuples.join(', ')}`, rows.flat());
}

interface Measured {
  backend: 'PGlite (embedded)' | 'PostgreSQL';
  documentBytes: number;
  firstApplyMs: number;
  dryRunMs: number;
  secondApplyMs: number;
  exportMs: number;
  referenceMs: number;
  ratio: number;
  exportedUsers: number;
}

async function timedApply(
  rest: Rest,
  body: string,
): Promise<{ ms: number; answer: Record<string, unknown> }> {
  const t0 = nowNs();
  const res = await fetch(`${rest.baseUrl}/api/policy/apply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${rest.token}`, 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  const ms = Number(nowNs() - t0) / 1e6;
  if (res.status !== 200) throw new Error(`apply: ${res.status} ${text.slice(0, 500)}`);
  return { ms, answer: JSON.parse(text) as Record<string, unknown> };
}

const created = (a: Record<string, unknown>) => (a.users as { created: unknown[] }).created.length;
const changes = (a: Record<string, unknown>) => {
  const r = a.roles as { created: unknown[]; changed: unknown[]; deleted: unknown[] };
  const u = a.users as { created: unknown[]; changed: unknown[]; deleted: unknown[] };
  return (
    r.created.length +
    r.changed.length +
    r.deleted.length +
    u.created.length +
    u.changed.length +
    u.deleted.length
  );
};

async function measure(backend: Measured['backend'], db: BenchDatabase | null): Promise<Measured> {
  const scenario = `bulk-${db ? 'pg' : 'pglite'}`;
  const dataDir = path.join(TMP, `${scenario}-admin-data`);
  // first start: the migrations; then the reference into the same tables
  let admin: AdminApiProcess = await startAdminApi(db ?? fakeDb(), scenario, { DATABASE_URL: db?.url ?? '' });
  let referenceMs: number;
  if (db) {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      referenceMs = await reference(c);
    } finally {
      await c.end();
    }
  } else {
    // PGlite is one process's: stop admin-api, open the same data directory here
    await stop(admin.child);
    const embedded = await startEmbeddedPostgres(dataDir);
    const c = new Client({
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      database: 'postgres',
    });
    await c.connect();
    try {
      referenceMs = await reference(c);
    } finally {
      await c.end();
      await embedded.stop();
    }
    admin = await startAdminApi(fakeDb(), scenario, { DATABASE_URL: '' }, true);
  }
  log(NAME, `${backend}: reference (multi-row INSERTs) ${fmtMs(referenceMs)}`);
  try {
    const rest = await Rest.login(admin.httpUrl);
    const body = JSON.stringify({ document: document() });
    const first = await timedApply(rest, body);
    if (created(first.answer) !== USERS)
      throw new Error(`first apply created ${created(first.answer)} users`);
    log(NAME, `${backend}: first apply ${fmtMs(first.ms)} (${fmtInt(body.length)} bytes)`);
    const dry = await timedApply(rest, JSON.stringify({ document: document(), dryRun: true }));
    const second = await timedApply(rest, body);
    if (changes(dry.answer) !== 0 || changes(second.answer) !== 0)
      throw new Error(`the second apply changed something: ${JSON.stringify(second.answer).slice(0, 300)}`);
    log(NAME, `${backend}: dry run ${fmtMs(dry.ms)}, second apply ${fmtMs(second.ms)}`);
    const t0 = nowNs();
    const res = await fetch(`${rest.baseUrl}/api/policy`, {
      headers: { authorization: `Bearer ${rest.token}` },
    });
    const exported = (await res.json()) as { users: unknown[] };
    const exportMs = Number(nowNs() - t0) / 1e6;
    return {
      backend,
      documentBytes: body.length,
      firstApplyMs: round(first.ms),
      dryRunMs: round(dry.ms),
      secondApplyMs: round(second.ms),
      exportMs: round(exportMs),
      referenceMs: round(referenceMs),
      ratio: round(first.ms / referenceMs, 2),
      exportedUsers: exported.users.length,
    };
  } finally {
    await stopGatehouse({ admin, ...(db ? { db } : {}) });
  }
}

/** startAdminApi wants a database; with `DATABASE_URL: ''` admin-api uses its embedded PGlite in DATA_DIR. */
const fakeDb = (): BenchDatabase => ({ name: 'embedded', url: '', drop: async () => undefined });

async function serverDatabase(): Promise<BenchDatabase | null> {
  if (!SERVER_URL) return null;
  const base = new URL(SERVER_URL);
  const name = `gatehouse_bench_bulk_${process.pid}`;
  const adminUrl = new URL(base);
  adminUrl.pathname = '/postgres';
  const c = new Client({ connectionString: adminUrl.toString() });
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const d = new Client({ connectionString: adminUrl.toString() });
      await d.connect();
      try {
        await d.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await d.end();
      }
    },
  };
}

async function main(): Promise<void> {
  const run = beginRun(NAME);
  const results: Measured[] = [await measure('PGlite (embedded)', null)];
  const db = await serverDatabase();
  if (db) results.push(await measure('PostgreSQL', db));
  const loadAfter = loadAverage();
  const durationS = Number(nowNs() - run.t0) / 1e9;
  const out = {
    name: NAME,
    startedAt: run.startedAt,
    durationS: round(durationS),
    quick: QUICK,
    machine: run.m,
    loadAverage: { before: run.loadBefore, after: loadAfter },
    users: USERS,
    permissionsPerUser: 2,
    rolesPerUser: 1,
    roles: ROLES,
    goalMs: GOAL_MS,
    results,
  };
  log(NAME, `results: ${writeResults(NAME, out)}`);
  const rows = results.map(
    (r) =>
      `| ${r.backend} | ${fmtMs(r.firstApplyMs)} | ${fmtMs(r.referenceMs)} | ${fmtRatio(r.ratio)} | ${fmtMs(r.dryRunMs)} | ${fmtMs(r.secondApplyMs)} | ${fmtMs(r.exportMs)} |`,
  );
  const worst = Math.max(...results.map((r) => r.firstApplyMs));
  const table = [
    measuredLine(run.m, run.startedAt, durationS, `npm run bench:bulk${QUICK ? ' -- --quick' : ''}`),
    '',
    `One document of ${fmtInt(USERS)} users (2 direct permissions and 1 role each) and ${ROLES} roles of 3 permissions (${fmtInt(results[0].documentBytes)} bytes of JSON), \`POST /api/policy/apply\` on admin-api in its own process; load average ${run.loadBefore.join(' ')} before, ${loadAfter.join(' ')} after. Reference: the same rows by multi-row \`INSERT … VALUES\` (1,000 rows per statement) in one transaction, into the same tables of the same database; ratio = first apply ÷ reference.`,
    '',
    '| database | first apply (creates all) | reference INSERTs | ratio | dry run (no change) | second apply (no change) | export |',
    '| -------- | ------------------------: | ----------------: | ----: | ------------------: | -----------------------: | -----: |',
    ...rows,
    '',
    `Goal: well under ${GOAL_MS / 1000} s: ${worst < GOAL_MS ? 'met' : '**not met**'} (${fmtMs(worst)} at worst). EMQX imports 50,000 users in 1.7 s (issue 13).`,
  ].join('\n');
  console.log(`\n${table}\n`);
  await updateReadme(NAME, 'Bulk policy apply (issue 13)', table);
}

main().catch((err: unknown) => {
  console.error(err);
  fs.mkdirSync(TMP, { recursive: true });
  process.exit(1);
});
