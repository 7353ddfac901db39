import 'reflect-metadata';
import { GatewayConfigError, loadGatewayConfig } from './gateway.config';

describe('loadGatewayConfig (SPEC 7)', () => {
  it('has the documented defaults', () => {
    const c = loadGatewayConfig({});
    expect(c).toMatchObject({
      mqttPort: 1883,
      tlsPort: 8883,
      wsPort: 8083,
      logLevel: 'info',
      tlsFiles: null,
      authConcurrency: 8,
      authQueueMax: 10_000,
      matcherIdleMax: 1000,
      listenBacklog: 4096,
      redisUrl: null,
      mqttHost: '0.0.0.0',
      maxPacketSize: 1_048_576,
      httpPort: 9464,
      httpHost: '0.0.0.0',
      denyAction: 'disconnect',
    });
    expect(loadGatewayConfig({ MQTT_DENY_ACTION: 'ignore' }).denyAction).toBe('ignore');
    // the metrics and health server binds where the MQTT listeners do, unless told otherwise
    expect(loadGatewayConfig({ MQTT_HOST: '127.0.0.1', GATEWAY_HTTP_PORT: '0' })).toMatchObject({
      httpHost: '127.0.0.1',
      httpPort: 0,
    });
    expect(loadGatewayConfig({ MQTT_HOST: '127.0.0.1', GATEWAY_HTTP_HOST: '::' }).httpHost).toBe('::');
    expect(loadGatewayConfig({ MQTT_HOST: '::1', MQTT_MAX_PACKET_SIZE: '4096' })).toMatchObject({
      mqttHost: '::1',
      maxPacketSize: 4096,
    });
    expect(loadGatewayConfig({ MQTT_HOST: 'broker.example.com' }).mqttHost).toBe('broker.example.com');
    expect(loadGatewayConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl).toBe(
      'redis://127.0.0.1:6379/2',
    );
    expect(c.transport).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 3001 });
    // The same failed-login limits and variables as admin-api (SPEC 2.1).
    expect(c.connectLimits).toMatchObject({ perUsernameAndAddress: 10, perUsername: 100, perAddress: 100 });
    expect(c.rateLimitRedisPrefix).toBe('gatehouse:');
    expect(c.dataDir).toMatch(/data$/);
  });

  it('accepts port 0 and "off" for the optional listeners', () => {
    const c = loadGatewayConfig({ MQTT_PORT: '0', MQTT_WS_PORT: 'off', MQTT_TLS_PORT: 'OFF' });
    expect(c).toMatchObject({ mqttPort: 0, wsPort: null, tlsPort: null });
  });

  it.each([
    ['MQTT_PORT', { MQTT_PORT: '70000' }],
    ['MQTT_TLS_PORT', { MQTT_TLS_PORT: 'abc' }],
    ['MQTT_WS_PORT', { MQTT_WS_PORT: '-1' }],
    ['TRANSPORT_URL', { TRANSPORT_URL: 'http://x:1' }],
    ['TRANSPORT_URL', { TRANSPORT_URL: 'tcp://127.0.0.1:0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['MQTT_TLS_KEY_FILE', { MQTT_TLS_CERT_FILE: '/x.crt' }],
    ['MQTT_AUTH_CACHE_TTL_SECONDS', { MQTT_AUTH_CACHE_TTL_SECONDS: '1e9' }],
    ['MQTT_AUTH_CONCURRENCY', { MQTT_AUTH_CONCURRENCY: '0' }],
    ['MQTT_LISTEN_BACKLOG', { MQTT_LISTEN_BACKLOG: '0' }],
    ['REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }],
    ['REDIS_URL', { REDIS_URL: 'not a url' }],
    ['MQTT_AUTH_QUEUE_MAX', { MQTT_AUTH_QUEUE_MAX: '-5' }],
    ['MQTT_MATCHER_IDLE_MAX', { MQTT_MATCHER_IDLE_MAX: 'many' }],
    ['LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS', { LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS: '0' }],
    ['LOGIN_FAILURES_PER_ADDRESS', { LOGIN_FAILURES_PER_ADDRESS: 'lots' }],
    ['RATE_LIMIT_REDIS_PREFIX', { RATE_LIMIT_REDIS_PREFIX: 'a b' }],
    ['MQTT_MAX_PACKET_SIZE', { MQTT_MAX_PACKET_SIZE: '1MiB' }],
    ['MQTT_MAX_PACKET_SIZE', { MQTT_MAX_PACKET_SIZE: '268435461' }],
    ['MQTT_MAX_PACKET_SIZE', { MQTT_MAX_PACKET_SIZE: '10' }],
    ['MQTT_HOST', { MQTT_HOST: '0.0.0.0:1883' }],
    ['MQTT_HOST', { MQTT_HOST: 'two words' }],
    ['GATEWAY_HTTP_PORT', { GATEWAY_HTTP_PORT: '65536' }],
    ['GATEWAY_HTTP_HOST', { GATEWAY_HTTP_HOST: 'not a host!' }],
    ['MQTT_DENY_ACTION', { MQTT_DENY_ACTION: 'drop' }],
    ['MQTT_DENY_ACTION', { MQTT_DENY_ACTION: 'IGNORE' }],
  ])('a wrong value stops the start naming %s', (variable, env) => {
    let err: unknown;
    try {
      loadGatewayConfig(env);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as GatewayConfigError).variable).toBe(variable);
    expect((err as Error).message.startsWith(`${variable}: `)).toBe(true);
  });
});
