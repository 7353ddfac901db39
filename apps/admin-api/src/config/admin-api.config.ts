import { resolve } from 'node:path';
import type { ClientRegistryOptions } from '@gatehouse/client-registry';
import {
  IdentityError,
  type IdentityOptions,
  MIN_PASSWORD_LENGTH,
  type MfaOptions,
  parseMfaKey,
  type PasswordPolicyOptions,
  PasswordPolicyService,
} from '@gatehouse/identity';
import type { DatabaseOptions } from '@gatehouse/persistence';
import {
  defaultLoginLimits,
  isLogLevel,
  LOG_LEVELS,
  type LoginLimitOptions,
  type RateLimitStoreOptions,
} from '@gatehouse/contracts';

import { ConfigError } from './config-error';
import { parseLdap } from './ldap.config';
import { parseOidc } from './oidc.config';
import { type PolicyConfig, parsePolicyConfig } from './policy.config';

export { ConfigError };

export interface AdminApiConfig {
  httpPort: number;
  httpHost: string;
  dataDir: string;
  database: DatabaseOptions;
  transportUrl: string | undefined;
  /** `GATEWAY_QUERY_TIMEOUT_MS`: how long a scatter-gather query waits for the gateways (ADR 0022). */
  gatewayQueryTimeoutMs: number;
  /** `REDIS_URL`: the rate-limit counters (failed logins, registrations) shared with every instance. */
  redisUrl: string | null;
  identity: IdentityOptions;
  clientRegistry: ClientRegistryOptions;
  /** The audit trail (SPEC 6, ADR 0016). */
  audit: { retentionDays: number };
  /** Policy as code (issue 13, ADR 0028). */
  policy: PolicyConfig;
  logLevel: string;
}

export const ADMIN_API_CONFIG = Symbol('ADMIN_API_CONFIG');

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.:@-]*$/;

export function parsePort(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    throw new ConfigError(name, `must be a port number 0..65535, got "${raw}"`);
  return Number(raw);
}

function parseInteger(
  env: Record<string, string | undefined>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(name, `must be an integer ${min}..${max}, got "${raw}"`);
  return Number(raw);
}

/** `REDIS_URL`: `redis://host:port[/db]` or `rediss://`; unset → null. */
export function parseRedisUrl(env: Record<string, string | undefined>, name: string): string | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a redis://host:port[/db] or rediss:// URL');
  }
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname)
    throw new ConfigError(name, `must be a redis://host:port[/db] or rediss:// URL, got "${url.protocol}"`);
  return raw;
}

/** `RATE_LIMIT_REDIS_PREFIX`: every instance that shares the counters uses the same prefix. */
function parseRateLimitStore(env: Record<string, string | undefined>): RateLimitStoreOptions {
  const keyPrefix = env.RATE_LIMIT_REDIS_PREFIX || 'gatehouse:';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(keyPrefix))
    throw new ConfigError('RATE_LIMIT_REDIS_PREFIX', 'must be 1..64 characters of A-Z a-z 0-9 _ . : -');
  return { redisUrl: parseRedisUrl(env, 'REDIS_URL'), keyPrefix };
}

/** Failed-login limits (SPEC 2.1, ADR 0003); the gateways read the same variables. */
function parseLoginLimits(env: Record<string, string | undefined>): LoginLimitOptions {
  const d = defaultLoginLimits;
  return {
    perUsernameAndAddress: parseInteger(
      env,
      'LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS',
      d.perUsernameAndAddress,
      1,
      1_000_000,
    ),
    perUsername: parseInteger(env, 'LOGIN_FAILURES_PER_USERNAME', d.perUsername, 1, 1_000_000),
    perAddress: parseInteger(env, 'LOGIN_FAILURES_PER_ADDRESS', d.perAddress, 1, 1_000_000),
    windowSeconds: parseInteger(env, 'LOGIN_FAILURE_WINDOW_SECONDS', d.windowSeconds, 1, 86_400),
    knownAddressSeconds:
      parseInteger(env, 'LOGIN_KNOWN_ADDRESS_DAYS', d.knownAddressSeconds / 86_400, 1, 3650) * 86_400,
  };
}

/** Client registry and Gatehouse CA settings (SPEC 4); every name is checked and named on error. */
function parseClientRegistry(
  env: Record<string, string | undefined>,
  dataDir: string,
  rateLimitStore: RateLimitStoreOptions,
): ClientRegistryOptions {
  const certFile = env.CA_CERT_FILE || undefined;
  const keyFile = env.CA_KEY_FILE || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(
      certFile === undefined ? 'CA_CERT_FILE' : 'CA_KEY_FILE',
      'CA_CERT_FILE and CA_KEY_FILE go together',
    );
  }
  const keyPassphrase = env.CA_KEY_PASSPHRASE || undefined;
  if (keyPassphrase !== undefined && keyPassphrase.length < 16)
    throw new ConfigError('CA_KEY_PASSPHRASE', 'must be at least 16 characters');
  return {
    dataDir,
    requestTtlSeconds: parseInteger(env, 'CLIENT_REGISTRY_REQUEST_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    grantGraceSeconds: parseInteger(env, 'CLIENT_REGISTRY_GRANT_GRACE_SECONDS', 3600, 0, 30 * 86_400),
    registerLimitPerIp: parseInteger(env, 'CLIENT_REGISTRY_RATE_LIMIT_PER_IP', 60, 1, 1_000_000),
    registerLimitWindowSeconds: parseInteger(env, 'CLIENT_REGISTRY_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    maxPendingRequests: parseInteger(env, 'CLIENT_REGISTRY_MAX_PENDING', 1000, 1, 1_000_000),
    rateLimitStore,
    ca: {
      ...(certFile && keyFile ? { certFile: resolve(certFile), keyFile: resolve(keyFile) } : {}),
      ...(keyPassphrase ? { keyPassphrase } : {}),
      caValidityDays: parseInteger(env, 'CA_VALIDITY_DAYS', 3650, 1, 36_500),
      clientCertValidityDays: parseInteger(env, 'CLIENT_CERT_VALIDITY_DAYS', 365, 1, 3650),
    },
  };
}

function parsePolicy(raw: string | undefined): PasswordPolicyOptions {
  if (raw === undefined || raw === '') return { min: 8 };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw) as unknown;
  } catch {
    throw new ConfigError('PASSWORD_POLICY', 'must be JSON like {"min":12,"upper":1,"numeric":1}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('PASSWORD_POLICY', 'must be a JSON object');
  }
  const out: PasswordPolicyOptions = { min: 8 };
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!['min', 'lower', 'upper', 'numeric', 'symbol'].includes(k)) {
      throw new ConfigError(
        'PASSWORD_POLICY',
        `unknown key "${k}" (allowed: min, lower, upper, numeric, symbol)`,
      );
    }
    const n = typeof v === 'boolean' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 256) {
      throw new ConfigError('PASSWORD_POLICY', `"${k}" must be an integer 0..256`);
    }
    (out as unknown as Record<string, number>)[k] = n;
  }
  if (out.min < MIN_PASSWORD_LENGTH) {
    throw new ConfigError(
      'PASSWORD_POLICY',
      `"min" must be at least ${MIN_PASSWORD_LENGTH} (ASVS 6.2.1), got ${out.min}`,
    );
  }
  return out;
}

/**
 * ADMIN_PASSWORD is chosen by the operator, so it meets the same policy as every other password
 * (ADR 0009): a weak one stops the start, naming the variable, before anything is created.
 */
function checkAdminPassword(
  password: string | undefined,
  username: string,
  passwordPolicy: PasswordPolicyOptions,
): void {
  if (password === undefined) return;
  try {
    new PasswordPolicyService({ passwordPolicy } as IdentityOptions).check(password, { username });
  } catch (err) {
    if (err instanceof IdentityError) throw new ConfigError('ADMIN_PASSWORD', err.message);
    throw err;
  }
}

/** A token lifetime cap in hours (ADR 0009): a whole number of hours, 1 h up to 10 years. */
function parseHours(env: Record<string, string | undefined>, name: string, fallback: number): number {
  return parseInteger(env, name, fallback, 1, 87_600);
}

/** `MFA_ENABLED` (default true) and `MFA_ENCRYPTION_KEY` (32 bytes, hex or base64; ADR 0020). */
function parseMfa(env: Record<string, string | undefined>): MfaOptions {
  const flag = (env.MFA_ENABLED || 'true').toLowerCase();
  if (flag !== 'true' && flag !== 'false')
    throw new ConfigError('MFA_ENABLED', `must be true or false, got "${flag}"`);
  const raw = env.MFA_ENCRYPTION_KEY || undefined;
  const encryptionKey = raw === undefined ? undefined : parseMfaKey(raw);
  if (encryptionKey === null)
    throw new ConfigError(
      'MFA_ENCRYPTION_KEY',
      'must be a 32-byte key as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)',
    );
  return { enabled: flag === 'true', ...(encryptionKey ? { encryptionKey } : {}) };
}

/** LDAP log-in (SPEC 2.1a, 7), when LDAP_URL is set. */
function ldapOf(env: Record<string, string | undefined>): Pick<IdentityOptions, 'ldap'> {
  const ldap = parseLdap(env);
  return ldap ? { ldap } : {};
}

/** OpenID Connect single sign-on (SPEC 2.1a, 7), when OIDC_ISSUER is set. */
function oidcOf(env: Record<string, string | undefined>): Pick<IdentityOptions, 'oidc'> {
  const oidc = parseOidc(env);
  return oidc ? { oidc } : {};
}

/** Reads and validates the admin-api configuration (SPEC 7). Nothing else reads process.env. */
export function loadAdminApiConfig(env: Record<string, string | undefined> = process.env): AdminApiConfig {
  const dataDir = env.DATA_DIR === 'memory://' ? 'memory://' : resolve(env.DATA_DIR || './data');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// URL');
  }
  const adminUsername = env.ADMIN_USERNAME || 'admin';
  if (!USERNAME.test(adminUsername) || adminUsername.length < 3 || adminUsername.length > 128) {
    throw new ConfigError(
      'ADMIN_USERNAME',
      'must be 3..128 characters of A-Z a-z 0-9 _ . : @ - (starting with a letter or digit)',
    );
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  const transportUrl = env.TRANSPORT_URL || undefined;
  if (transportUrl && !/^(tcp|nats):\/\//.test(transportUrl)) {
    throw new ConfigError('TRANSPORT_URL', 'must be tcp://host:port or nats://host:port');
  }
  const rateLimitStore = parseRateLimitStore(env);
  const passwordPolicy = parsePolicy(env.PASSWORD_POLICY);
  const adminPassword = env.ADMIN_PASSWORD || undefined;
  checkAdminPassword(adminPassword, adminUsername, passwordPolicy);
  return {
    httpPort: parsePort(env, 'HTTP_PORT', 3000),
    httpHost: env.HTTP_HOST || '0.0.0.0',
    dataDir,
    database: { databaseUrl, dataDir },
    transportUrl,
    gatewayQueryTimeoutMs: parseInteger(env, 'GATEWAY_QUERY_TIMEOUT_MS', 2000, 50, 60_000),
    redisUrl: rateLimitStore.redisUrl,
    logLevel,
    clientRegistry: parseClientRegistry(env, dataDir, rateLimitStore),
    audit: { retentionDays: parseInteger(env, 'AUDIT_RETENTION_DAYS', 365, 1, 36_500) },
    policy: parsePolicyConfig(env),
    identity: {
      passwordPolicy,
      adminUsername,
      adminPassword,
      sessionTokenHours: 12,
      tokenMaxHours: parseHours(env, 'TOKEN_MAX_HOURS', 8760),
      loginTokenMaxHours: parseHours(env, 'LOGIN_TOKEN_MAX_HOURS', 12),
      dataDir,
      loginLimits: parseLoginLimits(env),
      rateLimitStore,
      tokenIssuer: 'gatehouse',
      mfa: parseMfa(env),
      ...ldapOf(env),
      ...oidcOf(env),
    },
  };
}
