import { connect as tcpConnect } from 'node:net';
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

  it('rolls back a failed transaction', async () => {
    const first = await connect();
    await first.query('BEGIN');
    await expect(first.query('SELECT 1/0')).rejects.toThrow(/division by zero/);
    await first.end();
    const second = await connect();
    try {
      await expect(second.query('SELECT 1 AS one')).resolves.toMatchObject({ rows: [{ one: 1 }] });
    } finally {
      await second.end();
    }
  });

  it('a client that left an extended-protocol exchange without Sync does not stall the next', async () => {
    const socket = tcpConnect(embedded.port, embedded.host);
    await new Promise((r) => socket.once('connect', r));
    const params = Buffer.from('user\0postgres\0database\0postgres\0\0');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + params.length, 0);
    startup.writeInt32BE(196608, 4);
    let received = Buffer.alloc(0);
    const ready = new Promise<void>((resolve) =>
      socket.on('data', (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (received.includes(Buffer.from([0x5a, 0, 0, 0, 5]))) resolve(); // ReadyForQuery
      }),
    );
    socket.write(Buffer.concat([startup, params]));
    await ready;
    const body = Buffer.from('\0SELEC oops\0\0\0'); // unnamed statement, bad SQL, 0 parameter types
    const parse = Buffer.alloc(5);
    parse.write('P', 0);
    parse.writeInt32BE(4 + body.length, 1);
    socket.write(Buffer.concat([parse, body])); // an error, and no Sync
    await new Promise((r) => setTimeout(r, 50));
    socket.destroy();

    const next = await connect();
    try {
      await expect(next.query({ text: 'SELECT $1::int AS n', values: [7] })).resolves.toMatchObject({
        rows: [{ n: 7 }],
      });
    } finally {
      await next.end();
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
