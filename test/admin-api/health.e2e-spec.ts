import type { Server as NetServer } from 'node:net';
import { DataSource } from 'typeorm';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

/** `/health/ready` runs a real query and checks the transport; 503 problem+json when either is down. */
describe('GET /health/ready (defect 1)', () => {
  let t: TestAdminApi;

  beforeAll(async () => {
    t = await startTestAdminApi();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('answers 200 while the database and the transport answer', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: 'ok', transport: 'ok' });
    await t.http.get('/health/live').expect(200, { status: 'ok' });
  });

  it('answers 503 problem+json when the transport is down', async () => {
    const [transport] = t.api.app.getMicroservices();
    const server = transport.unwrap<NetServer>();
    await new Promise((r) => server.close(r));
    const res = await t.http.get('/health/ready').expect(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 503, code: 'HEALTH.TRANSPORT_DOWN' });
    expect(JSON.stringify(res.body)).not.toMatch(/at \w+ \(|stack/);
  });

  it('answers 503 problem+json when the database is down; live stays 200', async () => {
    await t.api.app.get(DataSource).destroy();
    const res = await t.http.get('/health/ready').expect(503);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 503, code: 'HEALTH.DATABASE_DOWN' });
    await t.http.get('/health/live').expect(200);
  });
});
