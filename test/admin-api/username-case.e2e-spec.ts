import { RegistrationService } from '@gatehouse/client-registry';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
const REGISTER = '/api/client-registry/register';

/** SPEC 1.3: usernames are unique without regard to case, in users and in registration requests. */
describe('usernames are unique regardless of case', () => {
  let t: TestAdminApi;
  let admin: string;

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
  });
  afterAll(async () => {
    expect(t.leaks).toEqual([]);
    await t.stop();
  });

  const createUser = (username: string) =>
    t.http
      .post('/api/users')
      .set(bearer(admin))
      .send({ username, password: `${username}-Secret-1x` });

  it('refuses ADMIN beside admin, and Plant-7 beside plant-7, with 409 USER_EXISTS', async () => {
    for (const name of ['ADMIN', 'Admin']) {
      const res = await createUser(name);
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.code).toBe('IDENTITY.USER_EXISTS');
    }
    expect((await createUser('plant-7')).status).toBe(201);
    const again = await createUser('Plant-7');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('IDENTITY.USER_EXISTS');
    const list = await t.http.get('/api/users?username=plant-7').set(bearer(admin)).expect(200);
    expect(list.body.items.map((u: { username: string }) => u.username)).toEqual(['plant-7']);
  });

  it('keeps login exact: the stored spelling logs in, another spelling does not', async () => {
    expect((await createUser('CamelCase')).status).toBe(201);
    await t.login('CamelCase', 'CamelCase-Secret-1x');
    const res = await t.http
      .post('/api/login')
      .send({ username: 'camelcase', password: 'CamelCase-Secret-1x' });
    expect(res.status).toBe(401);
  });

  describe('registration requests', () => {
    beforeAll(async () => {
      await t.http.post('/api/client-registry/unlock').set(bearer(admin)).send({}).expect(200);
    });

    it('REST: a request for ADMIN is refused with 409 while admin exists', async () => {
      const res = await t.http.post(REGISTER).send({ username: 'ADMIN', password: 'Device-passw0rd-1' });
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.detail).toMatch(/regardless of case/);
    });

    it('REST: a second pending request that differs only in case is refused; the first stays alone', async () => {
      const first = await t.http.post(REGISTER).send({ username: 'Sensor-1', password: 'Device-passw0rd-1' });
      expect(first.status).toBe(202);
      const second = await t.http
        .post(REGISTER)
        .send({ username: 'sensor-1', password: 'Device-passw0rd-1' });
      expect(second.status).toBe(409);
      const pending = await t.http
        .get('/api/client-registry/requests?state=pending')
        .set(bearer(admin))
        .expect(200);
      const names = pending.body.items.map((r: { username: string }) => r.username.toLowerCase());
      expect(names.filter((n: string) => n === 'sensor-1')).toHaveLength(1);
    });

    it('MQTT: an attempt for a user or a pending request of another case is not recorded', async () => {
      const registry = t.api.app.get(RegistrationService);
      const attempt = (username: string) =>
        registry.recordMqttAttempt({ username, password: 'Device-passw0rd-1', clientId: `c-${username}` });
      await expect(attempt('PLANT-7')).resolves.toBe(false);
      await expect(attempt('SENSOR-1')).resolves.toBe(false);
      await expect(attempt('mqtt-dev')).resolves.toBe(true);
      await expect(attempt('MQTT-DEV')).resolves.toBe(false);
      const pending = await t.http
        .get('/api/client-registry/requests?state=pending')
        .set(bearer(admin))
        .expect(200);
      const names = pending.body.items.map((r: { username: string }) => r.username);
      expect(names).toContain('mqtt-dev');
      expect(names).not.toContain('MQTT-DEV');
      expect(names).not.toContain('PLANT-7');
      expect(names).not.toContain('SENSOR-1');
    });

    it('approving a request whose name a user took meanwhile in another case answers 409', async () => {
      const req = await t.http.post(REGISTER).send({ username: 'late-one', password: 'Device-passw0rd-1' });
      expect(req.status).toBe(202);
      expect((await createUser('LATE-ONE')).status).toBe(201);
      const grant = await t.http
        .post(`/api/client-registry/requests/${req.body.requestId}/grant`)
        .set(bearer(admin))
        .send({});
      expect(grant.status).toBe(409);
      expect(grant.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });
});
