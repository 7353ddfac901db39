import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import {
  type TransportEndpoint,
  TransportUrlError,
  parseTransportUrl,
  isLogLevel,
  LOG_LEVELS,
  defaultLoginLimits,
  type LoginLimitOptions,
} from '@gatehouse/contracts';
import { type OidcMqttConfig, OidcMqttConfigError, parseOidcMqtt } from './oidc-mqtt.config';

/** A configuration value that is wrong: the start stops with a message naming the variable (SPEC 7). */
export class GatewayConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'GatewayConfigError';
  }
}

export interface TlsFilesConfig {
  certFile: string;
  keyFile: string;
}

/** `MQTT_DENY_ACTION` values (SPEC 7). */
export const MQTT_DENY_ACTIONS = ['disconnect', 'ignore'] as const;
export type MqttDenyAction = (typeof MQTT_DENY_ACTIONS)[number];

export interface GatewayConfig {
  gatewayId: string;
  /** Address the MQTT listeners bind to (`MQTT_HOST`, default every IPv4 interface). */
  mqttHost: string;
  /** Largest MQTT packet accepted, fixed header included (`MQTT_MAX_PACKET_SIZE`, SPEC 3 "Limits"). */
  maxPacketSize: number;
  /**
   * What a refused PUBLISH does (`MQTT_DENY_ACTION`, SPEC 3): `disconnect` (default, [MQTT-3.3.5-2])
   * or `ignore` (acknowledged as usual and dropped: never delivered nor retained).
   */
  denyAction: MqttDenyAction;
  mqttPort: number;
  /**
   * Pending-connection queue of each MQTT listener (`listen(2)` backlog; the kernel caps it at
   * `net.core.somaxconn`). Node's default of 511 makes a storm of reconnecting devices lose SYNs, which
   * they retry only after a second.
   */
  listenBacklog: number;
  /** `/metrics`, `/health/live`, `/health/ready` (SPEC 6): `GATEWAY_HTTP_HOST` (default `MQTT_HOST`), `GATEWAY_HTTP_PORT`. */
  httpHost: string;
  httpPort: number;
  /** `null`: no WebSocket listener. */
  wsPort: number | null;
  /** `null`: no TLS listener. */
  tlsPort: number | null;
  /** Server certificate and key; absent → generated into `DATA_DIR/tls` on first start. */
  tlsFiles: TlsFilesConfig | null;
  /** PEM bundle of further CAs accepted for client certificates, besides the Gatehouse CA (fetched from admin-api, ADR 0200). */
  tlsClientCaFile: string | null;
  dataDir: string;
  /**
   * `redis://` / `rediss://` URL: aedes persistence (sessions, subscriptions, retained messages, offline
   * queues) and its message bus in Redis, shared by every gateway using it (ADR 0101); `null`: in memory.
   */
  redisUrl: string | null;
  transport: TransportEndpoint;
  /** Where the change-event listener binds (loopback TCP transport only) and the address announced to admin-api. */
  eventHost: string;
  eventPort: number;
  eventAdvertisedHost: string;
  /** How often the gateway announces itself to admin-api (TCP transport). */
  registrationIntervalMs: number;
  /** Deadline of one request to admin-api; past it the CONNECT is refused with 3. */
  identityTimeoutMs: number;
  /** Lifetime of a cached successful verification; 0 disables the cache (ADR 0100). */
  authCacheTtlMs: number;
  authCacheMaxEntries: number;
  /** Authentications in flight to admin-api at once from this gateway; the rest wait in a FIFO (ADR 0100). */
  authConcurrency: number;
  /** CONNECTs that may wait for an authentication slot; beyond it CONNACK 3 at once (ADR 0100). */
  authQueueMax: number;
  /** Shared compiled matchers kept while no session uses them (reconnects reuse them; ADR 0100). */
  matcherIdleMax: number;
  /** Failed-login limits, the same variables and budget as admin-api's (SPEC 2.1, ADR 0003). */
  connectLimits: LoginLimitOptions;
  /** `RATE_LIMIT_REDIS_PREFIX`: the prefix of admin-api's counters in Redis (with `REDIS_URL`). */
  rateLimitRedisPrefix: string;
  /** Provider-issued JWT access tokens as the MQTT password (`OIDC_MQTT_ACCESS_TOKENS`, ADR 0027); null: off. */
  oidcAccessTokens: OidcMqttConfig | null;
  logLevel: string;
}

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

/** The failed-login limits: the same names and defaults as admin-api (SPEC 2.1, ADR 0003). */
function loginLimits(env: Env): LoginLimitOptions {
  const d = defaultLoginLimits;
  return {
    perUsernameAndAddress: integer(
      env,
      'LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS',
      d.perUsernameAndAddress,
      1,
      1_000_000,
    ),
    perUsername: integer(env, 'LOGIN_FAILURES_PER_USERNAME', d.perUsername, 1, 1_000_000),
    perAddress: integer(env, 'LOGIN_FAILURES_PER_ADDRESS', d.perAddress, 1, 1_000_000),
    windowSeconds: integer(env, 'LOGIN_FAILURE_WINDOW_SECONDS', d.windowSeconds, 1, 86_400),
    knownAddressSeconds:
      integer(env, 'LOGIN_KNOWN_ADDRESS_DAYS', d.knownAddressSeconds / 86_400, 1, 3650) * 86_400,
  };
}

function rateLimitPrefix(env: Env): string {
  const prefix = text(env, 'RATE_LIMIT_REDIS_PREFIX') ?? 'gatehouse:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix))
    throw new GatewayConfigError(
      'RATE_LIMIT_REDIS_PREFIX',
      'must be 1..64 characters of A-Z a-z 0-9 _ . : -',
    );
  return prefix;
}

function redisUrl(env: Env, name: string): string | null {
  const raw = text(env, name);
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new GatewayConfigError(name, 'must be a redis://host:port[/db] or rediss:// URL');
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname)
    throw new GatewayConfigError(
      name,
      `must be a redis://host:port[/db] or rediss:// URL, got "${url.protocol}"`,
    );
  return raw;
}

function oidcAccessTokens(env: Env): OidcMqttConfig | null {
  try {
    return parseOidcMqtt(env);
  } catch (err) {
    if (err instanceof OidcMqttConfigError) throw new GatewayConfigError(err.variable, err.detail);
    throw err;
  }
}

function denyAction(env: Env): MqttDenyAction {
  const raw = text(env, 'MQTT_DENY_ACTION') ?? 'disconnect';
  const action = MQTT_DENY_ACTIONS.find((a) => a === raw);
  if (action === undefined) {
    throw new GatewayConfigError('MQTT_DENY_ACTION', `must be disconnect or ignore, got "${raw}"`);
  }
  return action;
}

function port(env: Env, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    throw new GatewayConfigError(name, `must be a port number 0..65535, got "${raw}"`);
  return Number(raw);
}

/** A port, or `off` to disable the listener. */
function optionalPort(env: Env, name: string, fallback: number): number | null {
  const raw = text(env, name);
  if (raw !== undefined && raw.toLowerCase() === 'off') return null;
  return port(env, name, fallback);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new GatewayConfigError(name, `must be an integer ${min}..${max}, got "${raw}"`);
  }
  return Number(raw);
}

/** The largest packet MQTT 3.1.1 can frame: 1 + 4 header bytes + 268,435,455 (§2.2.3). */
export const MQTT_PACKET_SIZE_CEILING = 268_435_460;

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** A bind address: an IPv4/IPv6 literal or a host name. */
function bindHost(env: Env, name: string, fallback: string): string {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (isIP(raw) === 0 && !HOSTNAME.test(raw))
    throw new GatewayConfigError(name, `must be an IP address or a host name to bind to, got "${raw}"`);
  return raw;
}

/** Reads and validates the gateway configuration (SPEC 7). Nothing else in the gateway reads the environment. */
export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const logLevel = text(env, 'LOG_LEVEL') ?? 'info';
  if (!isLogLevel(logLevel)) {
    throw new GatewayConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  let transport: TransportEndpoint;
  try {
    transport = parseTransportUrl(env.TRANSPORT_URL);
  } catch (err) {
    if (err instanceof TransportUrlError)
      throw new GatewayConfigError('TRANSPORT_URL', err.message.replace(/^TRANSPORT_URL: /, ''));
    throw err;
  }
  if (transport.kind === 'tcp' && transport.port === 0) {
    throw new GatewayConfigError('TRANSPORT_URL', 'the gateway needs the port admin-api listens on (not 0)');
  }
  const certFile = text(env, 'MQTT_TLS_CERT_FILE');
  const keyFile = text(env, 'MQTT_TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new GatewayConfigError(
      certFile === undefined ? 'MQTT_TLS_CERT_FILE' : 'MQTT_TLS_KEY_FILE',
      'MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE go together',
    );
  }
  const dataDirRaw = text(env, 'DATA_DIR') ?? './data';
  const eventHost = text(env, 'GATEWAY_EVENT_HOST') ?? '127.0.0.1';
  const gatewayId = text(env, 'GATEWAY_ID') ?? `gateway-${randomUUID()}`;
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(gatewayId))
    throw new GatewayConfigError('GATEWAY_ID', 'must be 1..128 characters of A-Z a-z 0-9 _ . : -');
  const mqttHost = bindHost(env, 'MQTT_HOST', '0.0.0.0');
  return {
    gatewayId,
    mqttHost,
    httpHost: bindHost(env, 'GATEWAY_HTTP_HOST', mqttHost),
    httpPort: port(env, 'GATEWAY_HTTP_PORT', 9464),
    maxPacketSize: integer(env, 'MQTT_MAX_PACKET_SIZE', 1_048_576, 128, MQTT_PACKET_SIZE_CEILING),
    denyAction: denyAction(env),
    mqttPort: port(env, 'MQTT_PORT', 1883),
    wsPort: optionalPort(env, 'MQTT_WS_PORT', 8083),
    tlsPort: optionalPort(env, 'MQTT_TLS_PORT', 8883),
    tlsFiles: certFile && keyFile ? { certFile: resolve(certFile), keyFile: resolve(keyFile) } : null,
    tlsClientCaFile: text(env, 'MQTT_TLS_CA_FILE') ? resolve(text(env, 'MQTT_TLS_CA_FILE') as string) : null,
    dataDir: dataDirRaw === 'memory://' ? dataDirRaw : resolve(dataDirRaw),
    redisUrl: redisUrl(env, 'REDIS_URL'),
    transport,
    eventHost,
    eventPort: port(env, 'GATEWAY_EVENT_PORT', 0),
    eventAdvertisedHost:
      text(env, 'GATEWAY_ADVERTISED_HOST') ??
      (eventHost === '0.0.0.0' || eventHost === '::' ? '127.0.0.1' : eventHost),
    registrationIntervalMs: integer(env, 'GATEWAY_REGISTRATION_INTERVAL_MS', 5000, 100, 600_000),
    identityTimeoutMs: integer(env, 'IDENTITY_TIMEOUT_MS', 5000, 100, 120_000),
    authCacheTtlMs: integer(env, 'MQTT_AUTH_CACHE_TTL_SECONDS', 60, 0, 3600) * 1000,
    authCacheMaxEntries: integer(env, 'MQTT_AUTH_CACHE_MAX_ENTRIES', 10_000, 1, 1_000_000),
    authConcurrency: integer(env, 'MQTT_AUTH_CONCURRENCY', 8, 1, 1000),
    listenBacklog: integer(env, 'MQTT_LISTEN_BACKLOG', 4096, 1, 65_535),
    authQueueMax: integer(env, 'MQTT_AUTH_QUEUE_MAX', 10_000, 0, 1_000_000),
    matcherIdleMax: integer(env, 'MQTT_MATCHER_IDLE_MAX', 1000, 0, 1_000_000),
    connectLimits: loginLimits(env),
    rateLimitRedisPrefix: rateLimitPrefix(env),
    oidcAccessTokens: oidcAccessTokens(env),
    logLevel,
  };
}
