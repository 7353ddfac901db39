/**
 * Issue 4 "Done when" 8 and "state survives a restart": the CA private key is nowhere in DATA_DIR or
 * the database as plain PEM (nor as its raw PKCS#8 bytes); the CA and the registry state survive a restart.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { opensslCsr, opensslVerify, removeDir, tempDir } from './openssl';

jest.setTimeout(60_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by the assertions
type Json = any;

const ADMIN_PASSWORD = 'Admin-passw0rd-1';

async function* files(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

describe('Gatehouse CA at rest (SPEC 4)', () => {
  let db: TestDatabase;
  let dataDir: string;
  let env: Record<string, string>;
  let api: AdminApiHandle | undefined;

  const start = async () => (api = await createAdminApi(env, { logger: ['error'] }));
  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const res = await fetch(`${api!.httpUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as Json };
  };
  const login = async () =>
    (await call('POST', '/api/login', undefined, { username: 'admin', password: ADMIN_PASSWORD })).body
      .token as string;

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await tempDir('gatehouse-ca-');
    env = {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      TRANSPORT_URL: 'tcp://127.0.0.1:0',
      DATA_DIR: dataDir, // on disk: PGlite's files are scanned too (or the PostgreSQL database with TEST_DATABASE_URL)
      ...(db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : {}),
      ADMIN_PASSWORD,
    };
    await start();
  });

  afterAll(async () => {
    await api?.close();
    await db.drop();
    await removeDir(dataDir);
  });

  it('the CA key is stored encrypted; neither DATA_DIR nor the database holds it as plain PEM or raw PKCS#8', async () => {
    const token = await login();
    // issue one certificate so the CA has been used
    const user = (await call('POST', '/api/users', token, { username: 'dev-ca', password: ADMIN_PASSWORD }))
      .body;
    const dir = await tempDir();
    try {
      const issued = await call('POST', `/api/users/${user.id}/certificates`, token, {
        csr: (await opensslCsr(dir, 'dev-ca')).csr,
      });
      expect(issued.status).toBe(201);
      expect(await opensslVerify(dir, issued.body.caCertificate, issued.body.certificate)).toMatch(/: OK/);
    } finally {
      await removeDir(dir);
    }

    const ds = api!.app.get(DataSource);
    const [row] = await ds.query<{ certificate_pem: string; encrypted_key_pem: string }[]>(
      `SELECT certificate_pem, encrypted_key_pem FROM certificate_authorities`,
    );
    expect(row.encrypted_key_pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(() => createPrivateKey({ key: row.encrypted_key_pem, passphrase: 'wrong-passphrase' })).toThrow();
    const passphraseFile = join(dataDir, 'ca', 'ca-key.passphrase');
    expect((await stat(passphraseFile)).mode & 0o777).toBe(0o600);
    const key = createPrivateKey({
      key: row.encrypted_key_pem,
      passphrase: (await readFile(passphraseFile, 'utf8')).trim(),
    });
    expect(new X509Certificate(row.certificate_pem).checkPrivateKey(key)).toBe(true);
    const plainPem = key.export({ format: 'pem', type: 'pkcs8' }).toString();
    const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
    const d = Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url'); // the private scalar
    const pemBody = plainPem.split('\n')[1]; // first line of base64 of the unencrypted key

    const needles: [string, Buffer][] = [
      ['PEM header', Buffer.from('-----BEGIN PRIVATE KEY-----')],
      ['EC PEM header', Buffer.from('-----BEGIN EC PRIVATE KEY-----')],
      ['unencrypted PEM body', Buffer.from(pemBody)],
      ['raw PKCS#8', pkcs8],
      ['private scalar', d],
    ];
    // every table of the database, as text
    const tables = await ds.query<{ table_name: string }[]>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    let dump = '';
    for (const { table_name } of tables) {
      for (const r of await ds.query<{ j: string }[]>(
        `SELECT row_to_json(t)::text AS j FROM "${table_name}" t`,
      ))
        dump += r.j + '\n';
    }
    for (const [what, needle] of needles.slice(0, 3))
      expect([what, dump.includes(needle.toString())]).toEqual([what, false]);
    expect(dump).toContain('ENCRYPTED PRIVATE KEY');
    // every file under DATA_DIR (PGlite's data files included), as bytes
    let scanned = 0;
    for await (const f of files(dataDir)) {
      const bytes = await readFile(f);
      scanned++;
      for (const [what, needle] of needles)
        expect([f, what, bytes.includes(needle)]).toEqual([f, what, false]);
    }
    expect(scanned).toBeGreaterThan(1);
    // the public CA certificate is exported for operators
    expect(await readFile(join(dataDir, 'ca', 'gatehouse-ca.crt'), 'utf8')).toBe(row.certificate_pem);
  });

  it('the CA and the unlocked registry state survive a restart', async () => {
    let token = await login();
    const unlocked = await call('POST', '/api/client-registry/unlock', token, { durationMs: 600_000 });
    expect(unlocked.body.state).toBe('unlocked');
    const caBefore = await readFile(join(dataDir, 'ca', 'gatehouse-ca.crt'), 'utf8');
    await api!.close();
    api = undefined;
    await start();
    token = await login();
    const state = await call('GET', '/api/client-registry', token);
    expect(state.body).toEqual({ state: 'unlocked', unlockedUntil: unlocked.body.unlockedUntil });
    expect(await readFile(join(dataDir, 'ca', 'gatehouse-ca.crt'), 'utf8')).toBe(caBefore);
  });
});
