import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestAdminApi, type TestAdminApi } from '../support/admin-api';

describe('OpenAPI document', () => {
  let t: TestAdminApi;
  beforeAll(async () => {
    t = await startTestAdminApi();
  });
  afterAll(async () => {
    await t.stop();
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', async () => {
    const served = (await t.http.get('/api/openapi.json').expect(200)).body as object;
    const committed = JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as object;
    expect(served).toEqual(committed);
  });

  it('documents bearer auth on guarded routes and none on public ones', async () => {
    const doc = (await t.http.get('/api/openapi.json')).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    expect(doc.paths['/api/users'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/login'].post.security).toBeUndefined();
  });
});
