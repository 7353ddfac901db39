import 'reflect-metadata';
import { ConfigError, loadAdminApiConfig } from './admin-api.config';

describe('OIDC_* (SPEC 7, ADR 0023)', () => {
  const oidc = {
    OIDC_ISSUER: 'https://sso.plant.test/realms/plant',
    OIDC_CLIENT_ID: 'gatehouse',
    OIDC_CLIENT_SECRET: 'client-secret-value-1',
    OIDC_REDIRECT_URI: 'https://gatehouse.plant.test/api/auth/oidc/callback',
  };

  it('is off without OIDC_ISSUER, and reads the variables with their defaults', () => {
    expect(loadAdminApiConfig({}).identity.oidc).toBeUndefined();
    expect(loadAdminApiConfig(oidc).identity.oidc).toEqual({
      issuer: 'https://sso.plant.test/realms/plant',
      clientId: 'gatehouse',
      clientSecret: 'client-secret-value-1',
      redirectUri: 'https://gatehouse.plant.test/api/auth/oidc/callback',
      scopes: ['openid', 'profile'],
      roleClaim: 'groups',
      usernameClaim: 'preferred_username',
      usernameClash: 'refuse',
      adminAcr: [],
      adminAmr: [],
      timeoutMs: 5000,
      loginTtlSeconds: 600,
      allowInsecureHttp: false,
    });
  });

  it('reads every optional variable', () => {
    const c = loadAdminApiConfig({
      ...oidc,
      OIDC_ROLE_CLAIM: 'realm_access.roles',
      OIDC_USERNAME_CLAIM: 'email',
      OIDC_USERNAME_CLASH: 'Suffix',
      OIDC_SCOPES: 'profile, groups offline_access openid',
      OIDC_ADMIN_ACR: 'gold, urn:mace:incommon:iap:silver',
      OIDC_ADMIN_AMR: 'mfa otp mfa',
      OIDC_TIMEOUT_MS: '2000',
      OIDC_LOGIN_TTL_SECONDS: '300',
    }).identity.oidc;
    expect(c).toMatchObject({
      roleClaim: 'realm_access.roles',
      usernameClaim: 'email',
      usernameClash: 'suffix',
      scopes: ['openid', 'profile', 'groups', 'offline_access'],
      adminAcr: ['gold', 'urn:mace:incommon:iap:silver'],
      adminAmr: ['mfa', 'otp'],
      timeoutMs: 2000,
      loginTtlSeconds: 300,
    });
  });

  it('plain http only for a provider on a loopback address (tests, a local provider)', () => {
    const c = loadAdminApiConfig({
      ...oidc,
      OIDC_ISSUER: 'http://127.0.0.1:8080/realms/plant',
      OIDC_REDIRECT_URI: 'http://localhost:3000/api/auth/oidc/callback',
    }).identity.oidc;
    expect(c?.allowInsecureHttp).toBe(true);
    expect(c?.issuer).toBe('http://127.0.0.1:8080/realms/plant');
  });

  it.each([
    [{ OIDC_ISSUER: 'not a url' }, 'OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'http://sso.plant.test/realms/plant' }, 'OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'ftp://sso.plant.test' }, 'OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'https://sso.plant.test/realms/plant?x=1' }, 'OIDC_ISSUER'],
    [{ OIDC_ISSUER: 'https://user:pw@sso.plant.test/' }, 'OIDC_ISSUER'],
    [{ OIDC_ISSUER: `https://sso.plant.test/${'a'.repeat(250)}` }, 'OIDC_ISSUER'],
    [{ OIDC_CLIENT_ID: '' }, 'OIDC_CLIENT_ID'],
    [{ OIDC_CLIENT_ID: 'gate\nhouse' }, 'OIDC_CLIENT_ID'],
    [{ OIDC_CLIENT_SECRET: '' }, 'OIDC_CLIENT_SECRET'],
    [{ OIDC_REDIRECT_URI: '' }, 'OIDC_REDIRECT_URI'],
    [{ OIDC_REDIRECT_URI: '/api/auth/oidc/callback' }, 'OIDC_REDIRECT_URI'],
    [{ OIDC_REDIRECT_URI: 'http://gatehouse.plant.test/api/auth/oidc/callback' }, 'OIDC_REDIRECT_URI'],
    [{ OIDC_REDIRECT_URI: 'https://gatehouse.plant.test/cb?next=/' }, 'OIDC_REDIRECT_URI'],
    [{ OIDC_ROLE_CLAIM: 'my groups' }, 'OIDC_ROLE_CLAIM'],
    [{ OIDC_USERNAME_CLAIM: '$name' }, 'OIDC_USERNAME_CLAIM'],
    [{ OIDC_USERNAME_CLASH: 'merge' }, 'OIDC_USERNAME_CLASH'],
    [{ OIDC_SCOPES: 'openid "profile"' }, 'OIDC_SCOPES'],
    [{ OIDC_ADMIN_ACR: 'gold\u0000' }, 'OIDC_ADMIN_ACR'],
    [{ OIDC_ADMIN_AMR: 'mfa\u007f' }, 'OIDC_ADMIN_AMR'],
    [{ OIDC_TIMEOUT_MS: '50' }, 'OIDC_TIMEOUT_MS'],
    [{ OIDC_LOGIN_TTL_SECONDS: 'ten minutes' }, 'OIDC_LOGIN_TTL_SECONDS'],
  ])('%j stops the start naming %s', (bad, variable) => {
    const env = { ...oidc, ...bad };
    expect(() => loadAdminApiConfig(env)).toThrow(ConfigError);
    expect(() => loadAdminApiConfig(env)).toThrow(new RegExp(`^${variable}:`));
    // never the client secret in the message
    expect(() => loadAdminApiConfig(env)).not.toThrow(/client-secret-value-1/);
  });

  it('a stray OIDC client variable without OIDC_ISSUER is named (half-configured is an error, not off)', () => {
    for (const name of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'])
      expect(() => loadAdminApiConfig({ [name]: 'x' })).toThrow(new RegExp(`^${name}:.*OIDC_ISSUER`));
    // OIDC_MQTT_ACCESS_TOKENS and the claim names alone do not turn anything on, nor stop the start
    expect(loadAdminApiConfig({ OIDC_ROLE_CLAIM: 'groups' }).identity.oidc).toBeUndefined();
  });
});
