import 'reflect-metadata';
import { ConfigError, loadAdminApiConfig } from './admin-api.config';

describe('loadAdminApiConfig', () => {
  it('has the SPEC 7 defaults', () => {
    const c = loadAdminApiConfig({});
    expect(c.httpPort).toBe(3000);
    expect(c.database.databaseUrl).toBeUndefined();
    expect(c.identity.adminUsername).toBe('admin');
    expect(c.identity.adminPassword).toBeUndefined();
    expect(c.identity.passwordPolicy).toEqual({ min: 8 });
    expect(c.identity.tokenMaxHours).toBe(8760);
    expect(c.identity.loginTokenMaxHours).toBe(12);
    expect(c.logLevel).toBe('info');
    expect(c.identity.mfa).toEqual({ enabled: true });
  });

  it('reads MFA_ENABLED and a 32-byte MFA_ENCRYPTION_KEY as hex or base64 (ADR 0020)', () => {
    const key = Buffer.alloc(32, 7);
    expect(loadAdminApiConfig({ MFA_ENABLED: 'false' }).identity.mfa.enabled).toBe(false);
    expect(
      loadAdminApiConfig({ MFA_ENCRYPTION_KEY: key.toString('hex') }).identity.mfa.encryptionKey,
    ).toEqual(key);
    expect(
      loadAdminApiConfig({ MFA_ENCRYPTION_KEY: key.toString('base64') }).identity.mfa.encryptionKey,
    ).toEqual(key);
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
    [{ GATEWAY_QUERY_TIMEOUT_MS: '10' }, 'GATEWAY_QUERY_TIMEOUT_MS'],
    [{ GATEWAY_QUERY_TIMEOUT_MS: 'soon' }, 'GATEWAY_QUERY_TIMEOUT_MS'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ RATE_LIMIT_REDIS_PREFIX: 'a b' }, 'RATE_LIMIT_REDIS_PREFIX'],
    [{ LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '0' }, 'LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS'],
    [{ LOGIN_FAILURES_PER_USERNAME: 'many' }, 'LOGIN_FAILURES_PER_USERNAME'],
    [{ LOGIN_FAILURES_PER_ADDRESS: '-1' }, 'LOGIN_FAILURES_PER_ADDRESS'],
    [{ LOGIN_FAILURE_WINDOW_SECONDS: '86401' }, 'LOGIN_FAILURE_WINDOW_SECONDS'],
    [{ LOGIN_KNOWN_ADDRESS_DAYS: '0' }, 'LOGIN_KNOWN_ADDRESS_DAYS'],
    [{ MFA_ENABLED: 'yes' }, 'MFA_ENABLED'],
    [{ MFA_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'MFA_ENCRYPTION_KEY'], // 5 bytes
    [{ MFA_ENCRYPTION_KEY: 'ab'.repeat(31) }, 'MFA_ENCRYPTION_KEY'], // 31 bytes of hex
    [{ MFA_ENCRYPTION_KEY: 'not a key at all, not a key at all, not a key' }, 'MFA_ENCRYPTION_KEY'],
    // ASVS 6.2.1: the minimum length never goes below 8
    [{ PASSWORD_POLICY: '{"min":6}' }, 'PASSWORD_POLICY'],
    [{ PASSWORD_POLICY: '{"min":0}' }, 'PASSWORD_POLICY'],
    // ADMIN_PASSWORD meets the same policy as every password (ADR 0009)
    [{ ADMIN_PASSWORD: 'short1' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_PASSWORD: 'password123' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_PASSWORD: 'Gatehouse2025!' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_USERNAME: 'operator', ADMIN_PASSWORD: 'Operator-2025' }, 'ADMIN_PASSWORD'],
    [{ PASSWORD_POLICY: '{"min":20}', ADMIN_PASSWORD: 'k7#qpz2m-long' }, 'ADMIN_PASSWORD'],
    // token lifetime caps (ADR 0009)
    [{ TOKEN_MAX_HOURS: 'abc' }, 'TOKEN_MAX_HOURS'],
    [{ TOKEN_MAX_HOURS: '0' }, 'TOKEN_MAX_HOURS'],
    [{ TOKEN_MAX_HOURS: '87601' }, 'TOKEN_MAX_HOURS'],
    [{ TOKEN_MAX_HOURS: '1.5' }, 'TOKEN_MAX_HOURS'],
    [{ LOGIN_TOKEN_MAX_HOURS: '-1' }, 'LOGIN_TOKEN_MAX_HOURS'],
    [{ LOGIN_TOKEN_MAX_HOURS: 'twelve' }, 'LOGIN_TOKEN_MAX_HOURS'],
  ])('%j stops the start naming %s', (env, variable) => {
    expect(() => loadAdminApiConfig(env)).toThrow(ConfigError);
    expect(() => loadAdminApiConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });

  it('has the SPEC 2.1 failed-login limits by default, counters in memory; reads REDIS_URL and the limits', () => {
    const d = loadAdminApiConfig({});
    expect(d.identity.loginLimits).toEqual({
      perUsernameAndAddress: 10,
      perUsername: 100,
      perAddress: 100,
      windowSeconds: 900,
      knownAddressSeconds: 30 * 86_400,
    });
    expect(d.redisUrl).toBeNull();
    expect(d.identity.rateLimitStore).toEqual({ redisUrl: null, keyPrefix: 'gatehouse:' });
    const c = loadAdminApiConfig({
      REDIS_URL: 'redis://127.0.0.1:6379/3',
      RATE_LIMIT_REDIS_PREFIX: 'site-a:',
      LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '5',
      LOGIN_FAILURES_PER_ADDRESS: '1000',
    });
    expect(c.identity.rateLimitStore).toEqual({ redisUrl: 'redis://127.0.0.1:6379/3', keyPrefix: 'site-a:' });
    expect(c.clientRegistry.rateLimitStore).toEqual(c.identity.rateLimitStore);
    expect(c.identity.loginLimits.perUsernameAndAddress).toBe(5);
    expect(c.identity.loginLimits.perAddress).toBe(1000);
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

  it('reads TOKEN_MAX_HOURS and LOGIN_TOKEN_MAX_HOURS', () => {
    const c = loadAdminApiConfig({ TOKEN_MAX_HOURS: '720', LOGIN_TOKEN_MAX_HOURS: '1' });
    expect(c.identity.tokenMaxHours).toBe(720);
    expect(c.identity.loginTokenMaxHours).toBe(1);
  });

  it('accepts a strong ADMIN_PASSWORD and says why a weak one is refused', () => {
    expect(loadAdminApiConfig({ ADMIN_PASSWORD: 'k7#qpz2m-long' }).identity.adminPassword).toBe(
      'k7#qpz2m-long',
    );
    expect(() => loadAdminApiConfig({ ADMIN_PASSWORD: 'password123' })).toThrow(
      'ADMIN_PASSWORD: password policy: this is a commonly used password',
    );
  });

  it('reads AUDIT_RETENTION_DAYS (default 365) and names it when it is not 1..36500', () => {
    expect(loadAdminApiConfig({}).audit.retentionDays).toBe(365);
    expect(loadAdminApiConfig({ AUDIT_RETENTION_DAYS: '30' }).audit.retentionDays).toBe(30);
    for (const bad of ['0', '36501', '1.5', 'a year'])
      expect(() => loadAdminApiConfig({ AUDIT_RETENTION_DAYS: bad })).toThrow(/^AUDIT_RETENTION_DAYS:/);
  });

  describe('LDAP_* (SPEC 7, ADR 0024)', () => {
    const ldap = {
      LDAP_URL: 'ldap://ldap.plant.test:389',
      LDAP_BIND_DN: 'cn=gatehouse,ou=services,dc=plant,dc=test',
      LDAP_BIND_PASSWORD: 'service-secret-1',
      LDAP_USER_BASE: 'ou=people,dc=plant,dc=test',
      LDAP_USER_FILTER: '(&(objectClass=inetOrgPerson)(uid={{username}}))',
      LDAP_GROUP_BASE: 'ou=groups,dc=plant,dc=test',
    };

    it('is off without LDAP_URL, and reads the variables with their defaults', () => {
      expect(loadAdminApiConfig({}).identity.ldap).toBeUndefined();
      expect(loadAdminApiConfig(ldap).identity.ldap).toEqual({
        url: 'ldap://ldap.plant.test:389',
        startTls: false,
        bindDn: ldap.LDAP_BIND_DN,
        bindPassword: 'service-secret-1',
        userBase: ldap.LDAP_USER_BASE,
        userFilter: ldap.LDAP_USER_FILTER,
        usernameAttribute: 'uid',
        groupBase: ldap.LDAP_GROUP_BASE,
        directoryId: 'ldap',
        usernameClash: 'refuse',
        timeoutMs: 5000,
        poolSize: 4,
      });
      const c = loadAdminApiConfig({
        ...ldap,
        LDAP_URL: 'ldaps://ldap.plant.test',
        LDAP_GROUP_BASE: '',
        LDAP_USERNAME_ATTRIBUTE: 'sAMAccountName',
        LDAP_USERNAME_CLASH: 'suffix',
        LDAP_DIRECTORY_ID: 'corp-ad',
        LDAP_TIMEOUT_MS: '2000',
        LDAP_POOL_SIZE: '8',
      }).identity.ldap;
      expect(c).toMatchObject({
        url: 'ldaps://ldap.plant.test',
        usernameAttribute: 'sAMAccountName',
        usernameClash: 'suffix',
        directoryId: 'corp-ad',
        timeoutMs: 2000,
        poolSize: 8,
      });
      expect(c?.groupBase).toBeUndefined();
      expect(loadAdminApiConfig({ ...ldap, LDAP_STARTTLS: 'true' }).identity.ldap?.startTls).toBe(true);
    });

    it.each([
      [{ LDAP_URL: 'http://ldap.plant.test' }, 'LDAP_URL'],
      [{ LDAP_URL: 'not a url' }, 'LDAP_URL'],
      [{ LDAP_URL: 'ldap://ldap.plant.test/dc=plant,dc=test' }, 'LDAP_URL'],
      [{ LDAP_BIND_DN: '' }, 'LDAP_BIND_DN'],
      [{ LDAP_BIND_DN: 'gatehouse' }, 'LDAP_BIND_DN'],
      [{ LDAP_BIND_PASSWORD: '' }, 'LDAP_BIND_PASSWORD'],
      [{ LDAP_USER_BASE: '' }, 'LDAP_USER_BASE'],
      [{ LDAP_USER_FILTER: '(uid=alice)' }, 'LDAP_USER_FILTER'],
      [{ LDAP_USER_FILTER: '(uid={{username}}' }, 'LDAP_USER_FILTER'],
      [{ LDAP_USER_FILTER: 'uid={{username}}' }, 'LDAP_USER_FILTER'],
      [{ LDAP_GROUP_BASE: 'groups' }, 'LDAP_GROUP_BASE'],
      [{ LDAP_STARTTLS: 'yes' }, 'LDAP_STARTTLS'],
      [{ LDAP_URL: 'ldaps://ldap.plant.test', LDAP_STARTTLS: 'true' }, 'LDAP_STARTTLS'],
      [{ LDAP_TLS_CA_FILE: '/nonexistent/ca.pem' }, 'LDAP_TLS_CA_FILE'],
      [{ LDAP_USERNAME_ATTRIBUTE: 'u id' }, 'LDAP_USERNAME_ATTRIBUTE'],
      [{ LDAP_USERNAME_CLASH: 'merge' }, 'LDAP_USERNAME_CLASH'],
      [{ LDAP_DIRECTORY_ID: 'Corp AD' }, 'LDAP_DIRECTORY_ID'],
      [{ LDAP_TIMEOUT_MS: '0' }, 'LDAP_TIMEOUT_MS'],
      [{ LDAP_POOL_SIZE: '65' }, 'LDAP_POOL_SIZE'],
    ])('%j stops the start naming %s', (bad, variable) => {
      const env = { ...ldap, ...bad };
      expect(() => loadAdminApiConfig(env)).toThrow(ConfigError);
      expect(() => loadAdminApiConfig(env)).toThrow(new RegExp(`^${variable}:`));
      // never the service password in the message
      expect(() => loadAdminApiConfig(env)).not.toThrow(/service-secret-1/);
    });

    it('a stray LDAP_* without LDAP_URL is named (a half-configured directory is an error, not off)', () => {
      expect(() => loadAdminApiConfig({ LDAP_BIND_DN: ldap.LDAP_BIND_DN })).toThrow(
        /^LDAP_BIND_DN:.*LDAP_URL/,
      );
    });
  });
});
