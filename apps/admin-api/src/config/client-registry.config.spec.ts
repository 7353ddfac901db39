import 'reflect-metadata';
import { ConfigError, loadAdminApiConfig } from './admin-api.config';

describe('client registry and CA configuration (SPEC 4, 7)', () => {
  it('has the SPEC 4 defaults', () => {
    const c = loadAdminApiConfig({}).clientRegistry;
    expect(c.requestTtlSeconds).toBe(86_400);
    expect(c.ca.clientCertValidityDays).toBe(365);
    expect(c.ca.certFile).toBeUndefined();
    expect(c.ca.keyPassphrase).toBeUndefined();
  });

  it.each([
    [{ CLIENT_REGISTRY_REQUEST_TTL_SECONDS: 'soon' }, 'CLIENT_REGISTRY_REQUEST_TTL_SECONDS'],
    [{ CLIENT_CERT_VALIDITY_DAYS: '0' }, 'CLIENT_CERT_VALIDITY_DAYS'],
    [{ CA_VALIDITY_DAYS: '-1' }, 'CA_VALIDITY_DAYS'],
    [{ CA_CERT_FILE: '/x/ca.crt' }, 'CA_KEY_FILE'],
    [{ CA_KEY_FILE: '/x/ca.key' }, 'CA_CERT_FILE'],
    [{ CA_KEY_PASSPHRASE: 'short' }, 'CA_KEY_PASSPHRASE'],
    [{ CLIENT_REGISTRY_RATE_LIMIT_PER_IP: '0' }, 'CLIENT_REGISTRY_RATE_LIMIT_PER_IP'],
  ])('%j stops the start naming %s', (env, variable) => {
    expect(() => loadAdminApiConfig(env)).toThrow(ConfigError);
    expect(() => loadAdminApiConfig(env)).toThrow(new RegExp(`^${variable}:`));
  });

  it('reads operator-supplied CA files and validities', () => {
    const c = loadAdminApiConfig({
      CA_CERT_FILE: '/etc/gh/ca.crt',
      CA_KEY_FILE: '/etc/gh/ca.key',
      CLIENT_CERT_VALIDITY_DAYS: '30',
    }).clientRegistry;
    expect(c.ca).toMatchObject({
      certFile: '/etc/gh/ca.crt',
      keyFile: '/etc/gh/ca.key',
      clientCertValidityDays: 30,
    });
  });
});
