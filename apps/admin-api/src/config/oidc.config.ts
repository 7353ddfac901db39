import type { OidcOptions } from '@gatehouse/identity';
import { ConfigError } from './config-error';

type Env = Record<string, string | undefined>;

/** The variables that belong to OIDC_ISSUER (SPEC 7): set without it, they are an error, not "off". */
export const OIDC_REQUIRED = ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URI'] as const;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** A claim name, or a dotted path into the claims (`realm_access.roles`, Keycloak's realm roles). */
const CLAIM = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}$/;
/** A scope token (RFC 6749 3.3) of printable ASCII without `"` and `\\`. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
/** One acr value or amr entry. */
const AUTH_VALUE = /^[\x21-\x2B\x2D-\x7E]{1,128}$/;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(name, `must be an integer ${min}..${max}, got "${raw}"`);
  return Number(raw);
}

function required(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new ConfigError(name, 'is required when OIDC_ISSUER is set');
  return v;
}

/** An absolute http(s) URL without credentials or fragment; http only on a loopback host. */
function url(env: Env, name: string, value: string): URL {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be an absolute https:// URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new ConfigError(name, `must be an https:// URL, got "${u.protocol}"`);
  if (u.protocol === 'http:' && !LOOPBACK.has(u.hostname))
    throw new ConfigError(
      name,
      'must be https:// (plain http only for a provider on 127.0.0.1 or localhost)',
    );
  if (u.username || u.password || u.hash)
    throw new ConfigError(name, 'must not carry credentials or a #fragment');
  return u;
}

function claim(env: Env, name: string, fallback: string): string {
  const v = env[name] || fallback;
  if (!CLAIM.test(v))
    throw new ConfigError(name, `must be a claim name like "${fallback}" (letters, digits, _ . : / -)`);
  return v;
}

function list(env: Env, name: string, pattern: RegExp, what: string): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [];
  const items = raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = items.find((s) => !pattern.test(s));
  if (bad !== undefined) throw new ConfigError(name, `"${bad}" is not a valid ${what}`);
  return [...new Set(items)];
}

/**
 * OIDC_* (SPEC 7, ADR 0023): unset OIDC_ISSUER → off (null). Every wrong value names its variable; the
 * client secret is never part of a message.
 */
export function parseOidc(env: Env): OidcOptions | null {
  const issuerRaw = env.OIDC_ISSUER;
  if (issuerRaw === undefined || issuerRaw === '') {
    const stray = OIDC_REQUIRED.find((n) => env[n]);
    if (stray)
      throw new ConfigError(stray, 'is set but OIDC_ISSUER is not (set OIDC_ISSUER to turn OIDC on)');
    return null;
  }
  const issuer = url(env, 'OIDC_ISSUER', issuerRaw);
  if (issuer.search) throw new ConfigError('OIDC_ISSUER', 'must not carry a query string (RFC 8414 2)');
  if (issuerRaw.length > 255) throw new ConfigError('OIDC_ISSUER', 'must be at most 255 characters');
  const clientId = required(env, 'OIDC_CLIENT_ID');
  if (clientId.length > 255 || !/^[\x20-\x7e\u00a0-\uffff]+$/.test(clientId))
    throw new ConfigError('OIDC_CLIENT_ID', 'must be 1..255 characters without control characters');
  const clientSecret = required(env, 'OIDC_CLIENT_SECRET');
  const redirect = url(env, 'OIDC_REDIRECT_URI', required(env, 'OIDC_REDIRECT_URI'));
  if (redirect.search) throw new ConfigError('OIDC_REDIRECT_URI', 'must not carry a query string');
  const clash = (env.OIDC_USERNAME_CLASH || 'refuse').toLowerCase();
  if (clash !== 'refuse' && clash !== 'suffix')
    throw new ConfigError('OIDC_USERNAME_CLASH', `must be refuse or suffix, got "${clash}"`);
  const scopes = list(env, 'OIDC_SCOPES', SCOPE, 'scope');
  return {
    // the issuer as configured: the ID token's `iss` must equal it exactly (OIDC Core 3.1.3.7)
    issuer: issuerRaw,
    clientId,
    clientSecret,
    redirectUri: redirect.href,
    scopes: scopes.length === 0 ? ['openid', 'profile'] : ['openid', ...scopes.filter((s) => s !== 'openid')],
    roleClaim: claim(env, 'OIDC_ROLE_CLAIM', 'groups'),
    usernameClaim: claim(env, 'OIDC_USERNAME_CLAIM', 'preferred_username'),
    usernameClash: clash,
    adminAcr: list(env, 'OIDC_ADMIN_ACR', AUTH_VALUE, 'acr value'),
    adminAmr: list(env, 'OIDC_ADMIN_AMR', AUTH_VALUE, 'amr value'),
    timeoutMs: integer(env, 'OIDC_TIMEOUT_MS', 5000, 100, 60_000),
    loginTtlSeconds: integer(env, 'OIDC_LOGIN_TTL_SECONDS', 600, 1, 3600),
    allowInsecureHttp: issuer.protocol === 'http:',
  };
}
