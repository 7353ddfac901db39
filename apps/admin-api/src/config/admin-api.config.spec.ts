import { ConfigError, loadAdminApiConfig } from './admin-api.config';

describe('loadAdminApiConfig', () => {
  it('has the SPEC 7 defaults', () => {
    const c = loadAdminApiConfig({});
    expect(c.httpPort).toBe(3000);
    expect(c.database.databaseUrl).toBeUndefined();
    expect(c.identity.adminUsername).toBe('admin');
    expect(c.identity.adminPassword).toBeUndefined();
    expect(c.identity.passwordPolicy).toEqual({ min: 8 });
    expect(c.logLevel).toBe('info');
  });

  it.each([
    [{ HTTP_PORT: 'abc' }, 'HTTP_PORT'],
    [{ HTTP_PORT: '70000' }, 'HTTP_PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ PASSWORD_POLICY: '{min:8' }, 'PASSWORD_POLICY'],
    [{ PASSWORD_POLICY: '{"max":8}' }, 'PASSWORD_POLICY'],
    [{ ADMIN_USERNAME: 'a b' }, 'ADMIN_USERNAME'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ TRANSPORT_URL: 'http://x' }, 'TRANSPORT_URL'],
  ])('%j stops the start naming %s', (env, variable) => {
    expect(() => loadAdminApiConfig(env)).toThrow(ConfigError);
    expect(() => loadAdminApiConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });

  it('reads PASSWORD_POLICY in the Connectware shape', () => {
    expect(
      loadAdminApiConfig({ PASSWORD_POLICY: '{"min":12,"upper":1,"numeric":true}' }).identity.passwordPolicy,
    ).toEqual({
      min: 12,
      upper: 1,
      numeric: 1,
    });
  });
});
