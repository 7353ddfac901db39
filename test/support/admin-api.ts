import request from 'supertest';
import { createTestDatabase, type TestDatabase } from '@gatehouse/testing';
import { type AdminApiHandle, createAdminApi } from '../../apps/admin-api/src/bootstrap';
import { installSecretLeakDetector, type LeakReport } from './secret-leak-detector';

export const ADMIN_PASSWORD = 'Admin-Passw0rd-1!';

export interface TestAdminApi {
  api: AdminApiHandle;
  http: ReturnType<typeof request>;
  leaks: LeakReport[];
  /** Logs in and answers the bearer token. */
  login(username: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a real admin-api on free ports against a fresh database (PGlite in memory, or a new
 * PostgreSQL database when TEST_DATABASE_URL is set), with the secret-leak check on every response.
 */
export async function startTestAdminApi(env: Record<string, string> = {}): Promise<TestAdminApi> {
  const db: TestDatabase = await createTestDatabase();
  let leaks: LeakReport[] = [];
  const installInto = (app: AdminApiHandle['app']) => {
    leaks = installSecretLeakDetector(app);
  };
  const api = await createAdminApi(
    {
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      TRANSPORT_URL: 'tcp://127.0.0.1:0',
      DATA_DIR: db.options.dataDir,
      ...(db.options.databaseUrl ? { DATABASE_URL: db.options.databaseUrl } : {}),
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD,
      ...env,
    },
    { logger: ['error'], beforeListen: installInto },
  );
  const http = request(api.httpUrl);
  let admin: string | undefined;
  const login = async (username: string, password: string) => {
    const res = await http.post('/api/login').send({ username, password });
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { token: string }).token;
  };
  return {
    api,
    http,
    get leaks() {
      return leaks;
    },
    login,
    adminToken: async () => (admin ??= await login('admin', ADMIN_PASSWORD)),
    async stop() {
      await api.close();
      await db.drop();
    },
  };
}
