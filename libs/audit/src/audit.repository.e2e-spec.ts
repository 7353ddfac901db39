/**
 * AuditRepository and the chain on the real database (PGlite, or PostgreSQL with TEST_DATABASE_URL):
 * appends from two data sources at once (two connection pools, as two admin-api processes have) form
 * one chain; the CLI names an edited row and exits 1.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, type EmbeddedPostgres, startEmbeddedPostgres } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { AuditRepository, type UnchainedEvent } from './audit.repository';
import { runAuditVerify } from './cli';
import { verifyChain } from './verify-chain';

const event = (instanceId: string, i: number): UnchainedEvent => ({
  id: randomUUID(),
  at: new Date(),
  actor: { id: null, username: `u${i}` },
  action: 'user.update',
  target: { type: 'user', id: randomUUID(), name: `n${i}` },
  result: 'success',
  sourceAddress: '127.0.0.1',
  instanceId,
  changes: { enabled: { before: i % 2 === 0, after: i % 2 === 1 } },
  count: null,
  topic: null,
});

describe('AuditRepository on the real database', () => {
  let db: TestDatabase;
  let embedded: EmbeddedPostgres | undefined;
  const sources: DataSource[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    if (!db.options.databaseUrl) embedded = await startEmbeddedPostgres('memory://');
    // two data sources (two pools) on the same database; with PGlite both share its single session
    for (let i = 0; i < (db.options.databaseUrl ? 2 : 1); i++) {
      const ds = new DataSource({ ...buildDataSourceOptions(db.options, embedded), migrationsRun: false });
      await ds.initialize();
      if (i === 0) await ds.runMigrations({ transaction: 'each' });
      sources.push(ds);
    }
  }, 60_000);

  afterAll(async () => {
    for (const ds of sources) await ds.destroy();
    await embedded?.stop();
    await db?.drop();
  });

  it('concurrent appends through every pool form one chain: seq without gaps, each prevHash the previous hash', async () => {
    const repos = sources.map((ds) => new AuditRepository(ds));
    const perWriter = 60;
    await Promise.all(
      repos.flatMap((repo, w) =>
        Array.from({ length: perWriter }, (_, i) =>
          repo.append(i % 3 === 0 ? [event(`w${w}`, i), event(`w${w}`, i + 1000)] : [event(`w${w}`, i)]),
        ),
      ),
    );
    const expected = repos.length * (perWriter + perWriter / 3);
    const result = await verifyChain(repos[0]);
    expect(result).toMatchObject({ ok: true, checked: expected });
    const head = await repos[0].head();
    expect(head.lastSeq).toBe(expected);
    const rows = await repos[0].walk(0, head.lastSeq, 10_000);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i].prevHash).toBe(rows[i - 1].hash);
  });

  it('lists newest first with filters, and the keyset stops where the cursor says', async () => {
    const repo = new AuditRepository(sources[0]);
    const page = await repo.list({ limit: 5, actor: 'U3' });
    expect(page.length).toBeGreaterThan(0);
    expect(page.every((e) => e.actor?.username === 'u3')).toBe(true);
    const all = await repo.list({ limit: 10 });
    expect(all[0].seq).toBeGreaterThan(all[1].seq);
    const after = await repo.list({ limit: 10, beforeSeq: all[3].seq });
    expect(after[0].seq).toBe(all[4].seq);
  });

  it('prune removes a prefix and records its head; the rest verifies', async () => {
    const repo = new AuditRepository(sources[0]);
    const head = await repo.head();
    const [{ at }] = await sources[0].query<{ at: Date }[]>(`SELECT at FROM audit_events WHERE seq = 10`);
    await sources[0].query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    // make the first 10 events old (bypassing the trigger), then prune what is older than their time + 1 ms
    await sources[0].query(`UPDATE audit_events SET at = at - interval '1 day' WHERE seq <= 10`);
    await sources[0].query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    const { removed, prunedSeq } = await repo.pruneThrough(new Date(new Date(at).getTime() - 3600_000));
    expect({ removed, prunedSeq }).toEqual({ removed: 10, prunedSeq: 10 });
    // the first 10 events were edited (at), but they are gone: what remains verifies from the pruned head
    const v = await verifyChain(repo);
    expect(v).toMatchObject({ ok: true, checked: head.lastSeq - 10, prunedThroughSeq: 10 });
  });

  it('npm run audit:verify (the CLI) exits 0 on an intact chain and 1 naming the first edited row', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-cli-'));
    try {
      const env = db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : { DATA_DIR: dir };
      if (!db.options.databaseUrl) {
        // its own embedded database in DATA_DIR: chain two events there first
        const e = await startEmbeddedPostgres(dir);
        const ds = new DataSource({ ...buildDataSourceOptions({ dataDir: dir }, e), migrationsRun: true });
        await ds.initialize();
        await new AuditRepository(ds).append([event('cli', 1), event('cli', 2)]);
        await ds.destroy();
        await e.stop();
      }
      const lines: string[] = [];
      expect((await runAuditVerify(env, (l) => lines.push(l))).code).toBe(0);
      expect(lines.join('\n')).toMatch(/audit chain ok/);
      const e = db.options.databaseUrl ? undefined : await startEmbeddedPostgres(dir);
      const ds = new DataSource({
        ...buildDataSourceOptions(db.options.databaseUrl ? db.options : { dataDir: dir }, e),
      });
      await ds.initialize();
      const [victim] = await ds.query<{ id: string }[]>(
        `SELECT id FROM audit_events ORDER BY seq DESC LIMIT 1`,
      );
      await ds.query(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
      await ds.query(`UPDATE audit_events SET result = 'denied' WHERE id = $1`, [victim.id]);
      await ds.query(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
      await ds.destroy();
      await e?.stop();
      const out: string[] = [];
      const { code, result } = await runAuditVerify(env, (l) => out.push(l));
      expect(code).toBe(1);
      expect(result.firstBrokenId).toBe(victim.id);
      expect(out.join('\n')).toContain(victim.id);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
