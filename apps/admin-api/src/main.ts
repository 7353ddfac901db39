import 'reflect-metadata';
import { ListenError } from '@gatehouse/contracts';
import { createAdminApi } from './bootstrap';
import { ConfigError } from './config/admin-api.config';

async function main(): Promise<void> {
  const api = await createAdminApi(process.env);
  console.log(`admin-api  http       ${api.boundHttpUrl}/api   (OpenAPI ${api.boundHttpUrl}/api/docs)`);
  console.log(`admin-api  transport  ${api.transportUrl}`);
  if (api.generatedAdminPassword) {
    console.log(
      `admin-api  initial admin: username "${process.env.ADMIN_USERNAME || 'admin'}", password "${api.generatedAdminPassword}" (change it at the first login)`,
    );
  }
  if (api.initialAdminPasswordFile) {
    console.log(`admin-api  initial admin password (until changed): ${api.initialAdminPasswordFile}`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`admin-api: configuration error: ${err.message}`);
  else if (err instanceof ListenError) console.error(`admin-api: cannot start: ${err.message}`);
  else console.error('admin-api: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
