import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { buildDataSourceOptions, startEmbeddedPostgres, type EmbeddedPostgres } from '@gatehouse/persistence';

describe('persistence: migrations on the configured database', () => {
  let db: TestDatabase;
  let embedded: EmbeddedPostgres | undefined;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    if (!db.options.databaseUrl) embedded = await startEmbeddedPostgres(db.options.dataDir);
    ds = await new DataSource(buildDataSourceOptions(db.options, embedded)).initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await embedded?.stop();
    await db?.drop();
  });

  it('runs every migration and seeds the built-in roles', async () => {
    const rows: { name: string; built_in: boolean }[] = await ds.query(
      'SELECT name, built_in FROM roles ORDER BY name',
    );
    expect(rows).toEqual([
      { name: 'admin', built_in: true },
      { name: 'minimum-access', built_in: true },
    ]);
  });

  it('refuses a permission owned by both a role and a user', async () => {
    const [{ id }] = await ds.query<{ id: string }[]>(
      `INSERT INTO users (username) VALUES ('x1') RETURNING id`,
    );
    await expect(
      ds.query(
        `INSERT INTO permissions (role_id, user_id, context, resource, operation) VALUES ('00000000-0000-4000-8000-000000000001', $1, 'mqtt', 'a', 'read')`,
        [id],
      ),
    ).rejects.toThrow(/ck_permissions_owner/);
  });

  it('reverts and re-applies the migrations', async () => {
    for (let i = 0; i < ds.migrations.length; i++) await ds.undoLastMigration();
    await expect(ds.query('SELECT 1 FROM roles')).rejects.toThrow();
    await expect(ds.query('SELECT 1 FROM registration_requests')).rejects.toThrow();
    await ds.runMigrations();
    const [{ n }] = await ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM roles');
    expect(n).toBe(2);
  });

  it('keeps usernames unique regardless of case, in users and pending registration requests', async () => {
    await ds.query(`INSERT INTO users (username, grant_types) VALUES ('Casey', '[]')`);
    await expect(
      ds.query(`INSERT INTO users (username, grant_types) VALUES ('casey', '[]')`),
    ).rejects.toThrow(/uq_users_username_lower/);
    const pending = (name: string) =>
      ds.query(
        `INSERT INTO registration_requests (username, state, source, pairing_id, expires_at) VALUES ($1, 'pending', 'rest', 'ABC123', now() + interval '1 hour')`,
        [name],
      );
    await pending('Dev-1');
    await expect(pending('DEV-1')).rejects.toThrow(/uq_registration_requests_pending/);
    await ds.query(`DELETE FROM registration_requests`);
    await ds.query(`DELETE FROM users WHERE username = 'Casey'`);
  });

  it('the username migration names the users that differ only in case instead of failing obscurely', async () => {
    // revert down to (and including) the username migration, whatever came after it
    const applied = async () => {
      const rows: unknown[] = await ds.query(
        `SELECT 1 FROM migrations WHERE name = 'UsernameCase1764500000000'`,
      );
      return rows.length > 0;
    };
    while (await applied()) await ds.undoLastMigration();
    await ds.query(`INSERT INTO users (username, grant_types) VALUES ('Twin', '[]'), ('twin', '[]')`);
    await expect(ds.runMigrations()).rejects.toThrow(/"Twin" = "twin"/);
    await ds.query(`DELETE FROM users WHERE username = 'twin'`);
    await ds.runMigrations();
    await ds.query(`DELETE FROM users WHERE username = 'Twin'`);
  });
});
