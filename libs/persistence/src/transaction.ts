import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `work` in one transaction (every multi-row change goes through here). Inside it, use only
 * the given manager: the embedded database has a single connection, so touching the data source
 * directly from inside would wait for itself.
 */
export function inTransaction<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction('READ COMMITTED', work);
}

/** Postgres error codes Gatehouse reacts to. */
export const PgErrorCodes = { UNIQUE_VIOLATION: '23505', FOREIGN_KEY_VIOLATION: '23503' } as const;

/** True when `err` is a Postgres error with the given SQLSTATE. */
export function isPgError(err: unknown, code: string): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  return e.code === code || e.driverError?.code === code;
}

interface PgPool {
  query<R>(query: { text: string; values: unknown[]; name?: string }): Promise<{ rows: R[] }>;
}

/** Statement texts given a name, so each pooled connection parses and plans them once. */
const statementNames = new Map<string, string>();
/** Bound on named statements (each one is kept by every pooled connection that ran it). */
const MAX_NAMED_STATEMENTS = 64;

/**
 * A read outside any transaction, straight on the driver's connection pool: the hot read paths
 * (token check and user view on every authenticated request) skip TypeORM's per-query runner.
 * The first {@link MAX_NAMED_STATEMENTS} distinct statement texts run as named prepared statements
 * (parsed and planned once per connection); later ones run unnamed. Falls back to `dataSource.query`
 * when the driver has no pg pool.
 */
export async function readQuery<R>(
  dataSource: DataSource,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const pool = (dataSource.driver as { master?: PgPool }).master;
  if (!pool || typeof pool.query !== 'function') return dataSource.query<R[]>(sql, params);
  let name = statementNames.get(sql);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `gatehouse_read_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return (await pool.query<R>({ text: sql, values: params, name })).rows;
}
