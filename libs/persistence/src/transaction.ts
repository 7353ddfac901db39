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
