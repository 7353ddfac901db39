/**
 * Bulk users straight into the bench database with SQL (the schema comes from admin-api's migrations,
 * so admin-api must have started once). One argon2id hash, computed here with the same parameters as
 * admin-api (`ARGON2_PARAMS`), serves every seeded user: each still costs one full verification at its
 * first CONNECT or login, which is what the benchmarks measure; only the seeding is cheap.
 */
import * as argon2 from 'argon2';
import { Client } from 'pg';
import { ARGON2_PARAMS } from '../../libs/identity/src/services/password-hasher.service';
import type { BenchDatabase } from './gatehouse';

export const SEED_PASSWORD = 'Bench-seeded-password-1';

export interface SeedOptions {
  count: number;
  /** Usernames are `${prefix}${i}` for i = 0..count-1. */
  prefix: string;
  /** MQTT permissions per user (`devices/${username}/…`), inserted as direct permissions. */
  permissionsPerUser: number;
  /** Also assign the built-in `minimum-access` role. */
  minimumAccessRole?: boolean;
}

export async function seedUsers(
  db: BenchDatabase,
  opts: SeedOptions,
): Promise<{ users: { id: string; username: string }[]; insertMs: number }> {
  const hash = await argon2.hash(SEED_PASSWORD, ARGON2_PARAMS);
  const c = new Client({ connectionString: db.url });
  await c.connect();
  const t0 = Date.now();
  try {
    await c.query('BEGIN');
    const { rows } = await c.query<{ id: string; username: string }>(
      `INSERT INTO users (username, password_hash)
         SELECT $1 || g, $2 FROM generate_series(0, $3::int - 1) g
       RETURNING id, username`,
      [opts.prefix, hash, opts.count],
    );
    if (opts.permissionsPerUser > 0) {
      await c.query(
        `INSERT INTO permissions (user_id, context, resource, operation, position)
           SELECT u.id, 'mqtt',
                  CASE WHEN k = 0 THEN 'devices/' || u.username || '/#'
                       ELSE 'plant/p' || (k % 20) || '/line/+/machine/m' || k || '/' || (ARRAY['temperature','pressure','status'])[1 + k % 3] END,
                  (ARRAY['readWrite','read','write'])[1 + k % 3], k
             FROM users u CROSS JOIN generate_series(0, $2::int - 1) k
            WHERE u.username LIKE $1 || '%'`,
        [opts.prefix, opts.permissionsPerUser],
      );
    }
    if (opts.minimumAccessRole) {
      await c.query(
        `INSERT INTO user_roles (user_id, role_id) SELECT id, '00000000-0000-4000-8000-000000000002' FROM users WHERE username LIKE $1 || '%'`,
        [opts.prefix],
      );
    }
    await c.query('COMMIT');
    await c.query('ANALYZE');
    return { users: rows, insertMs: Date.now() - t0 };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await c.end();
  }
}
