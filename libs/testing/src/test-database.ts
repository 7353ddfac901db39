import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DatabaseOptions } from '@gatehouse/persistence';

/** A database for one test suite, and how to throw it away. */
export interface TestDatabase {
  options: DatabaseOptions;
  drop(): Promise<void>;
}

/**
 * With `TEST_DATABASE_URL` (a real PostgreSQL server, e.g. postgres://127.0.0.1:5432/test), creates
 * a fresh database for the calling suite, named `gatehouse_test_<random>`, and drops it afterwards.
 * Without it, an in-memory embedded PGlite database. Refuses any database whose name lacks `test`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { options: { dataDir: 'memory://' }, drop: async () => undefined };
  const url = new URL(base);
  const adminDb = url.pathname.replace(/^\//, '') || 'postgres';
  if (!adminDb.includes('test')) {
    throw new Error(
      `TEST_DATABASE_URL names database "${adminDb}": tests only run against a database whose name contains "test"`,
    );
  }
  const name = `gatehouse_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const target = new URL(base);
  target.pathname = `/${name}`;
  return {
    options: { databaseUrl: target.toString(), dataDir: 'memory://' },
    async drop() {
      const c = new Client({ connectionString: base });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
