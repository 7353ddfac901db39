import { DataSource, type DataSourceOptions } from 'typeorm';
import { buildDataSourceOptions, type EmbeddedPostgres, startEmbeddedPostgres } from '@gatehouse/persistence';
import { createTestDatabase, type TestDatabase } from './test-database';

/** A migrated database for one suite (see {@link createTestDatabase}) and a data source on it. */
export interface TestDataSource {
  dataSource: DataSource;
  /** Destroys the data source and throws the database away. */
  close(): Promise<void>;
}

/**
 * Opens a data source on a fresh test database with every migration applied, as admin-api would: the
 * real database of the medium tests of repositories (PGlite in memory, or PostgreSQL with TEST_DATABASE_URL).
 * `entities`: the owning lib's entities (admin-api loads them from the libs' modules).
 */
export async function openTestDataSource(
  entities: NonNullable<DataSourceOptions['entities']>,
): Promise<TestDataSource> {
  const db: TestDatabase = await createTestDatabase();
  let embedded: EmbeddedPostgres | undefined;
  try {
    if (!db.options.databaseUrl) embedded = await startEmbeddedPostgres(db.options.dataDir);
    const options = { ...buildDataSourceOptions(db.options, embedded), entities } as DataSourceOptions;
    const dataSource = await new DataSource(options).initialize();
    return {
      dataSource,
      async close() {
        await dataSource.destroy();
        await embedded?.stop();
        await db.drop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    await db.drop();
    throw err;
  }
}

/** Inserts a user row (grant type `password`, other columns their defaults) and answers its id. */
export async function insertTestUser(
  dataSource: DataSource,
  username: string,
  columns: { enabled?: boolean; passwordChangeRequired?: boolean } = {},
): Promise<string> {
  const [{ id }] = await dataSource.query<{ id: string }[]>(
    `INSERT INTO users (username, grant_types, enabled, password_change_required)
     VALUES ($1, '[{"method":"password","isRequired":false}]', $2, $3) RETURNING id`,
    [username, columns.enabled ?? true, columns.passwordChangeRequired ?? false],
  );
  return id;
}

/** Inserts a role (not built in) and answers its id. */
export async function insertTestRole(dataSource: DataSource, name: string): Promise<string> {
  const [{ id }] = await dataSource.query<{ id: string }[]>(
    `INSERT INTO roles (name) VALUES ($1) RETURNING id`,
    [name],
  );
  return id;
}

/** Booting PGlite and running every migration takes seconds, and over a minute on a loaded machine. */
const BOOT_TIMEOUT_MS = 180_000;

/**
 * In a `describe` block: opens a migrated test database before its tests ({@link openTestDataSource})
 * and throws it away after them. The answer gets `ds` and what `build` makes of it (the repositories
 * under test) once the database is open.
 */
export function useTestDataSource<R extends object>(
  entities: NonNullable<DataSourceOptions['entities']>,
  build: (dataSource: DataSource) => R,
): R & { ds: DataSource } {
  const context = {} as R & { ds: DataSource };
  let db: TestDataSource | undefined;
  beforeAll(async () => {
    db = await openTestDataSource(entities);
    Object.assign(context, build(db.dataSource), { ds: db.dataSource });
  }, BOOT_TIMEOUT_MS);
  afterAll(() => db?.close());
  return context;
}
