/**
 * ADR 0016: two admin-api processes on one PostgreSQL append audit events at the same time and still form
 * one chain (the append locks the chain-head row in the database, not in process memory). Runs when
 * TEST_DATABASE_URL is set (the services project, see jest.config.js and .ci/run).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';

const ROOT = join(__dirname, '..', '..');
const ADMIN_PASSWORD = 'Admin-Chain-Passw0rd-1';
const describeWithPostgres = process.env.TEST_DATABASE_URL ? describe : describe.skip;

interface Proc {
  child: ChildProcess;
  httpUrl: string;
}

async function startProcess(databaseUrl: string): Promise<Proc> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bench', 'run-ts.js'), join(ROOT, 'test', 'support', 'admin-api-process.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        TRANSPORT_URL: 'tcp://127.0.0.1:0',
        DATABASE_URL: databaseUrl,
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD,
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const httpUrl = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { httpUrl: string }).httpUrl);
    });
    child.once('exit', (code) => reject(new Error(`admin-api exited with ${code}`)));
  });
  return { child, httpUrl };
}

async function json<T>(
  url: string,
  init: RequestInit & { token?: string } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

describeWithPostgres('audit chain: two admin-api processes on one PostgreSQL', () => {
  let db: TestDatabase;
  const procs: Proc[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const url = db.options.databaseUrl ?? '';
    // one after the other: the first runs the migrations and creates the admin
    procs.push(await startProcess(url));
    procs.push(await startProcess(url));
  }, 180_000);

  afterAll(async () => {
    for (const p of procs) {
      p.child.kill('SIGTERM');
      if (p.child.exitCode === null) await once(p.child, 'exit');
    }
    await db?.drop();
  });

  it('appends at once from both processes keep one valid chain, with every event in it', async () => {
    const tokens = await Promise.all(
      procs.map(async (p) => {
        const r = await json<{ token: string }>(`${p.httpUrl}/api/login`, {
          method: 'POST',
          body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
        });
        expect(r.status).toBe(200);
        return r.body.token;
      }),
    );
    const perProcess = 40;
    const created = await Promise.all(
      procs.flatMap((p, w) =>
        Array.from({ length: perProcess }, (_, i) =>
          json(`${p.httpUrl}/api/roles`, {
            method: 'POST',
            token: tokens[w],
            body: JSON.stringify({ name: `chain-${w}-${i}`, permissions: [] }),
          }).then((r) => r.status),
        ),
      ),
    );
    expect(created.every((s) => s === 201)).toBe(true);

    const pg = new Client({ connectionString: db.options.databaseUrl });
    await pg.connect();
    try {
      const rows = (
        await pg.query<{ seq: string; instance_id: string; action: string }>(
          `SELECT seq, instance_id, action FROM audit_events ORDER BY seq`,
        )
      ).rows;
      const creates = rows.filter((r) => r.action === 'role.create');
      expect(creates).toHaveLength(2 * perProcess);
      // both processes wrote, interleaved in one sequence
      const instances = new Set(creates.map((r) => r.instance_id));
      expect(instances.size).toBe(2);
      const switches = creates.filter((r, i) => i > 0 && r.instance_id !== creates[i - 1].instance_id).length;
      expect(switches).toBeGreaterThan(1);
      for (const p of procs) {
        const v = await json<{ ok: boolean; checked: number }>(`${p.httpUrl}/api/audit-events/verify`, {
          token: tokens[procs.indexOf(p)],
        });
        expect(v.body).toMatchObject({ ok: true, checked: rows.length });
      }
    } finally {
      await pg.end();
    }
  }, 120_000);
});
