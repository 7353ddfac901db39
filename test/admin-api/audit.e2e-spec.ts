/**
 * The audit trail (SPEC 6, issue 10, ADR 0016) against a real admin-api: what an admin does is recorded
 * with actor, target and a before/after without secrets; failed logins and refused requests are
 * recorded; the chain verifies, and a row edited by SQL is named by the verify; retention keeps it
 * verifiable.
 */
import { DataSource } from 'typeorm';
import { AuditService } from '@gatehouse/audit';
import { ADMIN_PASSWORD, startTestAdminApi, type TestAdminApi } from '../support/admin-api';

interface Event {
  id: string;
  seq: number;
  at: string;
  actor: { id: string | null; username: string | null } | null;
  action: string;
  target: { type: string; id: string | null; name: string | null };
  result: string;
  sourceAddress: string | null;
  instanceId: string;
  changes?: Record<string, { before: unknown; after: unknown }>;
  hash: string;
  prevHash: string;
}

const ALICE_PASSWORD = 'Alice-Audit-Passw0rd-7';

describe('audit trail (SPEC 6)', () => {
  let t: TestAdminApi;
  let admin: string;
  let adminId: string;
  let aliceId: string;
  const auth = () => ({ authorization: `Bearer ${admin}` });
  const events = async (
    query: Record<string, string | number>,
  ): Promise<{ items: Event[]; nextCursor: string | null }> => {
    const res = await t.http.get('/api/audit-events').query(query).set(auth());
    expect(res.status).toBe(200);
    return res.body as { items: Event[]; nextCursor: string | null };
  };
  const sql = <T>(q: string, params: unknown[] = []) => t.api.app.get(DataSource).query<T>(q, params);

  beforeAll(async () => {
    t = await startTestAdminApi();
    admin = await t.adminToken();
    adminId = ((await t.http.get('/api/me').set(auth())).body as { id: string }).id;
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
  });

  it('an admin creates a user: the event has actor, target, source address and a diff without the password', async () => {
    const res = await t.http
      .post('/api/users')
      .set(auth())
      .send({
        username: 'alice',
        password: ALICE_PASSWORD,
        permissions: [{ context: 'http', resource: '/api/users', operation: 'read' }],
      })
      .expect(201);
    aliceId = (res.body as { id: string }).id;
    const { items } = await events({ action: 'user.create', targetId: aliceId });
    expect(items).toHaveLength(1);
    const e = items[0];
    expect(e.actor).toEqual({ id: adminId, username: 'admin' });
    expect(e.target).toEqual({ type: 'user', id: aliceId, name: 'alice' });
    expect(e.result).toBe('success');
    expect(e.sourceAddress).toMatch(/127\.0\.0\.1/);
    expect(e.instanceId).toMatch(/^admin-api@/);
    expect(e.changes?.username).toEqual({ before: null, after: 'alice' });
    expect(e.changes?.permissions).toEqual({
      before: null,
      after: [{ context: 'http', resource: '/api/users', operation: 'read', effect: 'allow' }],
    });
    expect(Object.keys(e.changes ?? {})).not.toContain('password');
    const stored = JSON.stringify(await sql(`SELECT * FROM audit_events`));
    expect(stored).not.toContain(ALICE_PASSWORD);
    expect(stored).not.toMatch(/argon2/);
  });

  it('an update records only what changed; a new password is a mark, never its value', async () => {
    const before = await t.http.get(`/api/users/${aliceId}`).set(auth()).expect(200);
    await t.http
      .patch(`/api/users/${aliceId}`)
      .set(auth())
      .set('if-match', String(before.headers.etag))
      .send({ enabled: false, password: 'Alice-New-Passw0rd-8' })
      .expect(200);
    const [e] = (await events({ action: 'user.update', targetId: aliceId })).items;
    expect(e.changes).toEqual({
      enabled: { before: true, after: false },
      password: { before: '[secret]', after: '[secret]' },
    });
    expect(JSON.stringify(await sql(`SELECT * FROM audit_events`))).not.toContain('Alice-New-Passw0rd-8');
  });

  it('a failed login is recorded: auth.login, failure, no actor, the username attempted; a success names the actor', async () => {
    await t.http
      .post('/api/login')
      .send({ username: 'nobody-here', password: 'Wrong-Passw0rd-1' })
      .expect(401);
    const failed = (await events({ action: 'auth.login', result: 'failure' })).items;
    expect(failed[0]).toMatchObject({
      actor: null,
      result: 'failure',
      target: { type: 'user', id: null, name: 'nobody-here' },
    });
    expect(JSON.stringify(failed)).not.toContain('Wrong-Passw0rd-1');
    await t.login('admin', ADMIN_PASSWORD);
    const ok = (await events({ action: 'auth.login', result: 'success', actor: 'admin' })).items;
    expect(ok[0]).toMatchObject({ actor: { id: adminId, username: 'admin' }, target: { id: adminId } });
  });

  it('a refused request is recorded as denied, with the caller as actor', async () => {
    await t.http
      .post('/api/users')
      .set(auth())
      .send({
        username: 'reader',
        password: 'Reader-Audit-Passw0rd-9',
        permissions: [{ context: 'http', resource: '/api/users', operation: 'read' }],
      })
      .expect(201);
    const reader = await t.login('reader', 'Reader-Audit-Passw0rd-9');
    await t.http
      .post('/api/users')
      .set({ authorization: `Bearer ${reader}` })
      .send({ username: 'mallory', password: 'Mallory-Passw0rd-10' })
      .expect(403);
    const [e] = (await events({ action: 'user.create', result: 'denied' })).items;
    expect(e).toMatchObject({ actor: { username: 'reader' }, target: { type: 'user', name: 'mallory' } });
    // the audit routes are guarded by http permissions like every route
    await t.http
      .get('/api/audit-events')
      .set({ authorization: `Bearer ${reader}` })
      .expect(403);
    await t.http
      .get('/api/audit-events/verify')
      .set({ authorization: `Bearer ${reader}` })
      .expect(403);
    await t.http.get('/api/audit-events').expect(401);
  });

  it('lists newest first, pages with a cursor, filters by actor, action and time; a bad cursor is a 400', async () => {
    const first = await events({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.items[0].seq).toBeGreaterThan(first.items[1].seq);
    expect(first.nextCursor).not.toBeNull();
    const second = await events({ limit: 2, cursor: first.nextCursor ?? '' });
    expect(second.items[0].seq).toBeLessThan(first.items[1].seq);
    expect((await events({ actor: adminId, limit: 200 })).items.every((e) => e.actor?.id === adminId)).toBe(
      true,
    );
    expect((await events({ action: 'user.delete' })).items).toEqual([]);
    expect((await events({ from: new Date(Date.now() + 60_000).toISOString() })).items).toEqual([]);
    expect((await events({ to: new Date(Date.now() - 3600_000).toISOString() })).items).toEqual([]);
    const bad = await t.http.get('/api/audit-events').query({ cursor: 'nope' }).set(auth());
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('AUDIT.INVALID_CURSOR');
  });

  it('verify walks the chain: ok, every event checked', async () => {
    const [{ n }] = await sql<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_events`);
    const res = await t.http.get('/api/audit-events/verify').set(auth()).expect(200);
    expect(res.body).toEqual({ ok: true, checked: n, prunedThroughSeq: 0 });
    expect(n).toBeGreaterThan(5);
  });

  it('the table refuses UPDATE and DELETE (append-only trigger)', async () => {
    await expect(sql(`UPDATE audit_events SET result = 'success' WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql(`DELETE FROM audit_events WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(sql(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
  });

  it('a row edited by SQL (trigger bypassed, as a database owner can) fails verify, naming that row', async () => {
    const [target] = await sql<{ id: string; seq: string }[]>(
      `SELECT id, seq FROM audit_events WHERE action = 'user.update' ORDER BY seq LIMIT 1`,
    );
    await sql(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    try {
      await sql(
        `UPDATE audit_events SET changes = '{"enabled":{"before":true,"after":true}}' WHERE id = $1`,
        [target.id],
      );
    } finally {
      await sql(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    }
    const res = await t.http.get('/api/audit-events/verify').set(auth()).expect(200);
    expect(res.body).toMatchObject({
      ok: false,
      firstBrokenId: target.id,
      firstBrokenSeq: Number(target.seq),
    });
    expect(res.body.checked).toBe(Number(target.seq) - 1);
    expect(res.body.reason).toMatch(/hash does not match/);
  });

  it('retention prunes a prefix, records its head, and what remains verifies (after the broken row is gone)', async () => {
    const audit = t.api.app.get(AuditService);
    const [{ n }] = await sql<{ n: number }[]>(`SELECT count(*)::int AS n FROM audit_events`);
    // everything is older than "now + 366 days - 365 days retention"
    expect(await audit.prune(new Date(Date.now() + 366 * 86_400_000))).toBe(n);
    await t.http.post('/api/roles').set(auth()).send({ name: 'after-prune', permissions: [] }).expect(201);
    const res = await t.http.get('/api/audit-events/verify').set(auth()).expect(200);
    expect(res.body).toEqual({ ok: true, checked: 1, prunedThroughSeq: n });
    const [head] = await sql<{ pruned_seq: string; pruned_hash: string }[]>(
      `SELECT pruned_seq, pruned_hash FROM audit_chain`,
    );
    const [first] = (await events({ limit: 1 })).items;
    expect(first.prevHash).toBe(head.pruned_hash);
    expect(Number(head.pruned_seq)).toBe(first.seq - 1);
  });

  it('a deleted row (trigger bypassed) is found: the next row does not follow it', async () => {
    await t.http.post('/api/roles').set(auth()).send({ name: 'r2', permissions: [] }).expect(201);
    await t.http.post('/api/roles').set(auth()).send({ name: 'r3', permissions: [] }).expect(201);
    const rows = await sql<{ id: string; seq: string }[]>(`SELECT id, seq FROM audit_events ORDER BY seq`);
    await sql(`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`);
    try {
      await sql(`DELETE FROM audit_events WHERE id = $1`, [rows[1].id]);
    } finally {
      await sql(`ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only`);
    }
    const res = await t.http.get('/api/audit-events/verify').set(auth()).expect(200);
    expect(res.body).toMatchObject({ ok: false, firstBrokenId: rows[2].id });
    expect(t.leaks).toEqual([]);
  });
});
