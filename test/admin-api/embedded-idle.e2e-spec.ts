import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/**
 * Defect 1: on the embedded database, the pool closes its idle connection after 10 s and the
 * reconnect used to land on the same PGlite session, still holding the named prepared statements
 * (`prepared statement "gatehouse_read_1" already exists`): every request was a 500 from then on.
 * This suite always runs on PGlite (DATABASE_URL cleared) over real HTTP; in the PostgreSQL pass of
 * `.ci/run` (TEST_DATABASE_URL set) it would repeat the same run, so it is skipped there.
 * Repeated reconnects are covered by libs/persistence/src/embedded-postgres.e2e-spec.ts.
 */
(process.env.TEST_DATABASE_URL ? describe.skip : describe)(
  'admin API on the embedded database survives idle periods (defect 1)',
  () => {
    /** Longer than every pool or socket timeout (pg pool idleTimeoutMillis 10 s; pglite-socket none). */
    const IDLE_MS = 12_500;
    let t: TestAdminApi;
    let admin: string;

    beforeAll(async () => {
      t = await startTestAdminApi({ DATABASE_URL: '', DATA_DIR: 'memory://' });
      admin = await t.adminToken();
    });
    afterAll(async () => {
      expect(t.leaks).toEqual([]);
      await t.stop();
    });

    it(
      'reads and writes through the API after staying idle longer than every timeout',
      async () => {
        await t.http.get('/api/me').set(bearer(admin)).expect(200);
        await t.http.get('/api/me').set(bearer(admin)).expect(200);
        await t.http.get('/health/ready').expect(200);

        await new Promise((r) => setTimeout(r, IDLE_MS));

        const me = await t.http.get('/api/me').set(bearer(admin));
        expect(me.status).toBe(200);
        expect(me.body.username).toBe('admin');
        const created = await t.http
          .post('/api/users')
          .set(bearer(admin))
          .send({ username: 'after-idle', password: 'after-idle-secret-1' });
        expect(created.status).toBe(201);
        const read = await t.http.get(`/api/users/${created.body.id}`).set(bearer(admin)).expect(200);
        expect(read.body.username).toBe('after-idle');
        await t.login('after-idle', 'after-idle-secret-1');
        await t.http.get('/health/ready').expect(200);
        await t.http
          .patch(`/api/users/${created.body.id}`)
          .set(bearer(admin))
          .send({ version: read.body.version, enabled: false })
          .expect(200);
      },
      IDLE_MS + 20_000,
    );
  },
);
