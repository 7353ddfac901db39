import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase } from '@gatehouse/testing';
import { CliUsageError, runCli } from './cli';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrations } from './migrations';

const run = promisify(execFile);

/** `npm run migration:run|revert|generate` against a fresh embedded database in DATA_DIR. */
describe('migration CLI', () => {
  let dataDir: string;
  let outDir: string;
  let lines: string[];
  const io = () => ({ log: (l: string) => lines.push(l), migrationsDir: outDir, now: () => 1799999999999 });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    outDir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-out-'));
  });
  beforeEach(() => {
    lines = [];
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  async function appliedMigrations(): Promise<string[]> {
    const embedded = await startEmbeddedPostgres(dataDir);
    const c = new Client({
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      database: 'postgres',
    });
    await c.connect();
    try {
      const res = await c.query<{ name: string }>('SELECT name FROM migrations ORDER BY "timestamp"');
      return res.rows.map((r) => r.name);
    } finally {
      await c.end();
      await embedded.stop();
    }
  }

  async function sql(text: string): Promise<void> {
    const embedded = await startEmbeddedPostgres(dataDir);
    const c = new Client({
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      database: 'postgres',
    });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
      await embedded.stop();
    }
  }

  const all = migrations.map((m) => new m().name);

  it('run applies every migration to a fresh embedded database, then finds none pending', async () => {
    await expect(runCli(['run'], { DATA_DIR: dataDir }, io())).resolves.toBe(0);
    expect(lines).toEqual([`embedded database (PGlite) in ${dataDir}`, ...all.map((n) => `applied ${n}`)]);
    expect(await appliedMigrations()).toEqual(all);
    lines = [];
    await runCli(['run'], { DATA_DIR: dataDir }, io());
    expect(lines).toContain('no pending migrations');
  });

  it('revert undoes the last migration only, and run applies it again', async () => {
    await expect(runCli(['revert'], { DATA_DIR: dataDir }, io())).resolves.toBe(0);
    expect(lines).toContain(`reverted ${all[all.length - 1]}`);
    expect(await appliedMigrations()).toEqual(all.slice(0, -1));
    lines = [];
    await runCli(['run'], { DATA_DIR: dataDir }, io());
    expect(lines).toContain(`applied ${all[all.length - 1]}`);
    expect(await appliedMigrations()).toEqual(all);
  });

  it('generate says when the database matches the entities, and writes nothing', async () => {
    await expect(runCli(['generate', 'Nothing'], { DATA_DIR: dataDir }, io())).resolves.toBe(0);
    expect(lines.join('\n')).toMatch(/nothing to generate/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('generate writes the SQL that brings the database to the entities, with its down', async () => {
    await sql('ALTER TABLE users DROP COLUMN last_login_at');
    await expect(runCli(['generate', 'AddThings'], { DATA_DIR: dataDir }, io())).resolves.toBe(0);
    expect(readdirSync(outDir)).toEqual(['1799999999999-add-things.ts']);
    const text = readFileSync(join(outDir, '1799999999999-add-things.ts'), 'utf8');
    expect(text).toContain('export class AddThings1799999999999 implements MigrationInterface');
    expect(text).toMatch(/up\(q: QueryRunner\)[^}]*ADD \\"last_login_at\\"/);
    expect(text).toMatch(/down\(q: QueryRunner\)[^}]*DROP COLUMN \\"last_login_at\\"/);
    expect(text).not.toMatch(/await q\.query\([^)]*DROP CONSTRAINT/);
    await sql('ALTER TABLE users ADD COLUMN last_login_at timestamptz NULL');
  });

  it('generate refuses while migrations are pending', async () => {
    await runCli(['revert'], { DATA_DIR: dataDir }, io());
    await expect(runCli(['generate', 'Early'], { DATA_DIR: dataDir }, io())).rejects.toThrow(
      /pending migrations/,
    );
    await runCli(['run'], { DATA_DIR: dataDir }, io());
  });

  it.each([[[]], [['migrate']], [['generate']], [['generate', 'lower-case']], [['run', 'extra']]])(
    'refuses %j with a usage error',
    async (argv) => {
      await expect(runCli(argv, { DATA_DIR: dataDir }, io())).rejects.toThrow(CliUsageError);
    },
  );

  it('refuses a DATABASE_URL that is not postgres://, naming it', async () => {
    await expect(runCli(['run'], { DATABASE_URL: 'mysql://x' }, io())).rejects.toThrow(/DATABASE_URL/);
  });

  (process.env.TEST_DATABASE_URL ? it : it.skip)(
    'run and revert on DATABASE_URL (a real PostgreSQL)',
    async () => {
      const db = await createTestDatabase();
      try {
        const env = { DATABASE_URL: db.options.databaseUrl };
        await expect(runCli(['run'], env, io())).resolves.toBe(0);
        expect(lines).toContain(`applied ${all[all.length - 1]}`);
        await expect(runCli(['revert'], env, io())).resolves.toBe(0);
        expect(lines).toContain(`reverted ${all[all.length - 1]}`);
        lines = [];
        await runCli(['run'], env, io());
        expect(lines).toEqual([expect.stringMatching(/^database /), `applied ${all[all.length - 1]}`]);
      } finally {
        await db.drop();
      }
    },
  );

  it('the npm scripts run the built CLI (dist/libs/persistence/src/cli.js)', async () => {
    const root = join(__dirname, '..', '..', '..');
    await run('node', ['scripts/build.js'], { cwd: root });
    const fresh = mkdtempSync(join(tmpdir(), 'gatehouse-cli-dist-'));
    try {
      const env = { ...process.env, DATA_DIR: fresh, DATABASE_URL: '' };
      const up = await run('node', ['dist/libs/persistence/src/cli.js', 'run'], { cwd: root, env });
      expect(up.stdout).toContain(`applied ${all[all.length - 1]}`);
      const down = await run('node', ['dist/libs/persistence/src/cli.js', 'revert'], { cwd: root, env });
      expect(down.stdout).toContain(`reverted ${all[all.length - 1]}`);
      const bad = await run('node', ['dist/libs/persistence/src/cli.js', 'nonsense'], {
        cwd: root,
        env,
      }).catch((e: { code: number; stderr: string }) => e);
      expect(bad).toMatchObject({ code: 2 });
      expect((bad as { stderr: string }).stderr).toMatch(/^migrations: usage:/);
      expect((bad as { stderr: string }).stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
