import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
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

declare const TRANSACTION: unique symbol;

/**
 * An open transaction, as services see it (ADR 0017): a token they pass to the repository methods
 * that should take part in it, and cannot run SQL on. Only repositories open it, with
 * {@link managerOf}. Inside a transaction pass it to every repository call: the embedded database
 * has a single connection, so a call without it would wait for the transaction to end.
 */
export interface Transaction {
  readonly [TRANSACTION]: true;
}

/** For repositories: the manager of `tx`, or the data source's own manager outside a transaction. */
export function managerOf(dataSource: DataSource, tx: Transaction | undefined): EntityManager {
  return tx === undefined ? dataSource.manager : (tx as unknown as EntityManager);
}

/**
 * Starts transactions for services, which compose several repository calls in one of them without
 * touching TypeORM (ADR 0017). Provided by the PersistenceModule.
 */
@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in one READ COMMITTED transaction ({@link inTransaction}); commits when it resolves. */
  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return inTransaction(this.dataSource, (m) => work(m as unknown as Transaction));
  }

  /** Runs `work` in `tx` when given (the caller's transaction), else in a new one. */
  join<T>(tx: Transaction | undefined, work: (tx: Transaction) => Promise<T>): Promise<T> {
    return tx === undefined ? this.run(work) : work(tx);
  }
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
