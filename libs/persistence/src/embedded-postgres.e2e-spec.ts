import { Client } from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

/** The embedded database must behave like a real server: every new connection is a fresh session. */
describe('embedded PostgreSQL: a reconnect is a clean session (defect 1)', () => {
  let embedded: EmbeddedPostgres;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres('memory://');
  });
  afterAll(async () => {
    await embedded.stop();
  });

  async function connect(): Promise<Client> {
    const c = new Client({
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      password: 'postgres',
      database: 'postgres',
    });
    await c.connect();
    return c;
  }

  it('forgets named prepared statements, settings and temp tables of the previous connection', async () => {
    const first = await connect();
    await first.query({ name: 'gatehouse_read_1', text: 'SELECT $1::int AS n', values: [1] });
    await first.query(`SET application_name = 'first'`);
    await first.query('CREATE TEMP TABLE scratch (x int)');
    await first.end();

    const second = await connect();
    try {
      const res = await second.query({ name: 'gatehouse_read_1', text: 'SELECT $1::int AS n', values: [2] });
      expect(res.rows).toEqual([{ n: 2 }]);
      const app = await second.query<{ application_name: string }>('SHOW application_name');
      expect(app.rows[0].application_name).not.toBe('first');
      await expect(second.query('SELECT * FROM scratch')).rejects.toThrow(/scratch/);
    } finally {
      await second.end();
    }
  });

  it('rolls back a transaction the previous connection left open', async () => {
    const first = await connect();
    await first.query('CREATE TABLE kept (x int)');
    await first.query('BEGIN');
    await first.query('INSERT INTO kept VALUES (1)');
    await first.end();

    const second = await connect();
    try {
      const res = await second.query<{ n: number }>('SELECT count(*)::int AS n FROM kept');
      expect(res.rows).toEqual([{ n: 0 }]);
    } finally {
      await second.end();
    }
  });

  it('accepts a new connection right after the previous one closed', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await connect();
      await c.query({ name: 'again', text: 'SELECT 1 AS one' });
      await c.end();
    }
    const c = await connect();
    await expect(c.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    await c.end();
  });

  it('serves a second connection once the first has closed, instead of refusing it', async () => {
    const first = await connect();
    await first.query('BEGIN');
    await first.query({ name: 'held', text: 'SELECT 1 AS one' });
    const second = connect();
    await new Promise((r) => setTimeout(r, 100));
    await first.end();
    const c = await second;
    try {
      await expect(c.query({ name: 'held', text: 'SELECT 2 AS two' })).resolves.toMatchObject({
        rows: [{ two: 2 }],
      });
    } finally {
      await c.end();
    }
  });
});
