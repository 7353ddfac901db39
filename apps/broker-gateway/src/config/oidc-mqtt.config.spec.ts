import 'reflect-metadata';
import { GatewayConfigError, loadGatewayConfig } from './gateway.config';
import { ACCESS_TOKEN_ALGORITHMS } from './oidc-mqtt.config';

const ON = {
  OIDC_MQTT_ACCESS_TOKENS: 'true',
  OIDC_ISSUER: 'https://sso.plant.test/realms/plant',
  OIDC_MQTT_AUDIENCE: 'urn:gatehouse:mqtt',
};

function failure(env: Record<string, string>): GatewayConfigError {
  try {
    loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof GatewayConfigError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('OIDC_MQTT_ACCESS_TOKENS and its companions (SPEC 7, ADR 0027)', () => {
  it('off by default, and with an explicit false (the other variables are then ignored)', () => {
    expect(loadGatewayConfig({}).oidcAccessTokens).toBeNull();
    // a shared env file: OIDC_ISSUER alone is admin-api's login, not the gateway's business
    expect(loadGatewayConfig({ OIDC_ISSUER: ON.OIDC_ISSUER }).oidcAccessTokens).toBeNull();
    expect(
      loadGatewayConfig({ ...ON, OIDC_MQTT_ACCESS_TOKENS: 'false', OIDC_MQTT_ALGORITHMS: 'HS256' })
        .oidcAccessTokens,
    ).toBeNull();
  });

  it('on: the documented defaults (asymmetric algorithms only, 5 s tolerance, 30 s cooldown, 10 min refresh)', () => {
    expect(loadGatewayConfig(ON).oidcAccessTokens).toEqual({
      issuer: ON.OIDC_ISSUER,
      audiences: ['urn:gatehouse:mqtt'],
      algorithms: [...ACCESS_TOKEN_ALGORITHMS],
      clockToleranceSeconds: 5,
      jwksCooldownMs: 30_000,
      jwksRefreshMs: 600_000,
      timeoutMs: 5000,
      allowInsecureHttp: false,
    });
    expect(
      (ACCESS_TOKEN_ALGORITHMS as readonly string[]).filter((a) => a === 'none' || a.startsWith('HS')),
    ).toEqual([]);
  });

  it('reads lists and numbers; plain http only on a loopback host', () => {
    const c = loadGatewayConfig({
      ...ON,
      OIDC_ISSUER: 'http://127.0.0.1:4444',
      OIDC_MQTT_AUDIENCE: 'urn:a, urn:b urn:a',
      OIDC_MQTT_ALGORITHMS: 'ES256,RS256',
      OIDC_MQTT_CLOCK_TOLERANCE_SECONDS: '0',
      OIDC_MQTT_JWKS_COOLDOWN_SECONDS: '1',
      OIDC_MQTT_JWKS_REFRESH_SECONDS: '60',
      OIDC_TIMEOUT_MS: '800',
    }).oidcAccessTokens;
    expect(c).toEqual({
      issuer: 'http://127.0.0.1:4444',
      audiences: ['urn:a', 'urn:b'],
      algorithms: ['ES256', 'RS256'],
      clockToleranceSeconds: 0,
      jwksCooldownMs: 1000,
      jwksRefreshMs: 60_000,
      timeoutMs: 800,
      allowInsecureHttp: true,
    });
  });

  it.each([
    ['OIDC_MQTT_ACCESS_TOKENS', { OIDC_MQTT_ACCESS_TOKENS: 'yes' }, 'true or false'],
    ['OIDC_ISSUER', { OIDC_MQTT_ACCESS_TOKENS: 'true', OIDC_MQTT_AUDIENCE: 'x' }, 'required'],
    ['OIDC_ISSUER', { ...ON, OIDC_ISSUER: 'http://sso.plant.test' }, 'https'],
    ['OIDC_ISSUER', { ...ON, OIDC_ISSUER: 'not a url' }, 'https'],
    ['OIDC_ISSUER', { ...ON, OIDC_ISSUER: 'https://u:p@sso.plant.test' }, 'credentials'],
    ['OIDC_MQTT_AUDIENCE', { ...ON, OIDC_MQTT_AUDIENCE: '' }, 'required'],
    ['OIDC_MQTT_ALGORITHMS', { ...ON, OIDC_MQTT_ALGORITHMS: 'RS256,HS256' }, '"HS256" is not allowed'],
    ['OIDC_MQTT_ALGORITHMS', { ...ON, OIDC_MQTT_ALGORITHMS: 'none' }, '"none" is not allowed'],
    ['OIDC_MQTT_CLOCK_TOLERANCE_SECONDS', { ...ON, OIDC_MQTT_CLOCK_TOLERANCE_SECONDS: '61' }, '0..60'],
    ['OIDC_MQTT_JWKS_COOLDOWN_SECONDS', { ...ON, OIDC_MQTT_JWKS_COOLDOWN_SECONDS: '0' }, '1..3600'],
    ['OIDC_MQTT_JWKS_REFRESH_SECONDS', { ...ON, OIDC_MQTT_JWKS_REFRESH_SECONDS: 'soon' }, '10..86400'],
    ['OIDC_TIMEOUT_MS', { ...ON, OIDC_TIMEOUT_MS: '50' }, '100..60000'],
    // a companion without the switch: a forgotten switch, not "off"
    ['OIDC_MQTT_AUDIENCE', { OIDC_MQTT_AUDIENCE: 'urn:gatehouse:mqtt' }, 'OIDC_MQTT_ACCESS_TOKENS is not'],
  ])('a wrong value stops the start naming %s', (variable, env, detail) => {
    const err = failure(env);
    expect(err.variable).toBe(variable);
    expect(err.message.startsWith(`${variable}: `)).toBe(true);
    expect(err.message).toContain(detail);
  });
});
