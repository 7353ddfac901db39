import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Usernames are unique without regard to case (SPEC 1.3, issue 9; ADR 0007): `ADMIN` cannot exist
 * beside `admin`. Users get a unique index on `lower(username)`; registration requests get their
 * one-pending-request-per-username index on `lower(username)` too. The stored spelling is kept.
 *
 * A database that already holds users differing only in case cannot take the index: the migration
 * stops and names them (rename or delete one of each, then start again). Pending registration
 * requests that differ only in case are not accounts: all but the newest of each name are expired.
 */
export class UsernameCase1764500000000 implements MigrationInterface {
  name = 'UsernameCase1764500000000';

  async up(q: QueryRunner): Promise<void> {
    const clashes = (await q.query(
      `SELECT array_agg(username ORDER BY username) AS names FROM users
        GROUP BY lower(username) HAVING count(*) > 1 ORDER BY lower(username) LIMIT 20`,
    )) as { names: string[] }[];
    if (clashes.length > 0) {
      const list = clashes.map((c) => c.names.map((n) => JSON.stringify(n)).join(' = ')).join('; ');
      throw new Error(
        `usernames must be unique regardless of case; rename or delete one of each of these users first: ${list}`,
      );
    }
    await q.query(`CREATE UNIQUE INDEX uq_users_username_lower ON users (lower(username))`);

    await q.query(`
      UPDATE registration_requests r SET state = 'expired', password_hash = NULL
       WHERE r.state = 'pending' AND EXISTS (
         SELECT 1 FROM registration_requests o
          WHERE o.state = 'pending' AND lower(o.username) = lower(r.username)
            AND (o.created_at, o.id) > (r.created_at, r.id))`);
    await q.query(`DROP INDEX uq_registration_requests_pending`);
    await q.query(
      `CREATE UNIQUE INDEX uq_registration_requests_pending ON registration_requests (lower(username)) WHERE state = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX uq_registration_requests_pending`);
    await q.query(
      `CREATE UNIQUE INDEX uq_registration_requests_pending ON registration_requests (username) WHERE state = 'pending'`,
    );
    await q.query(`DROP INDEX uq_users_username_lower`);
  }
}
