import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LdapOptions } from '@gatehouse/identity';
import { ConfigError } from './config-error';

type Env = Record<string, string | undefined>;

/** The variables of LDAP log-in (SPEC 7); LDAP is on when LDAP_URL is set. */
export const LDAP_REQUIRED = [
  'LDAP_BIND_DN',
  'LDAP_BIND_PASSWORD',
  'LDAP_USER_BASE',
  'LDAP_USER_FILTER',
] as const;

/** A DN as far as a configuration check can tell: `attr=value` pairs separated by commas. */
const DN = /^\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*[^,]+(\s*,\s*[A-Za-z][A-Za-z0-9-]*\s*=\s*[^,]+)*\s*$/;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(name, `must be an integer ${min}..${max}, got "${raw}"`);
  return Number(raw);
}

function dn(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new ConfigError(name, 'is required when LDAP_URL is set');
  if (!DN.test(v)) throw new ConfigError(name, `must be a DN like "ou=people,dc=example,dc=com"`);
  return v.trim();
}

/** A balanced `( … )` filter holding `{{username}}` once or more. */
function userFilter(env: Env): string {
  const v = env.LDAP_USER_FILTER;
  if (v === undefined || v === '')
    throw new ConfigError('LDAP_USER_FILTER', 'is required when LDAP_URL is set');
  if (!v.includes('{{username}}'))
    throw new ConfigError('LDAP_USER_FILTER', 'must contain {{username}}, e.g. "(uid={{username}})"');
  let depth = 0;
  for (const ch of v) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) break;
  }
  if (!v.trim().startsWith('(') || depth !== 0)
    throw new ConfigError('LDAP_USER_FILTER', 'must be an LDAP filter in balanced parentheses');
  return v.trim();
}

/**
 * LDAP_* (SPEC 7, ADR 0024): unset LDAP_URL → off (null). Every wrong value names its variable; the
 * service password is never part of a message.
 */
export function parseLdap(env: Env): LdapOptions | null {
  const url = env.LDAP_URL;
  if (url === undefined || url === '') {
    const stray = [...LDAP_REQUIRED, 'LDAP_GROUP_BASE'].find((n) => env[n]);
    if (stray) throw new ConfigError(stray, 'is set but LDAP_URL is not (set LDAP_URL to turn LDAP on)');
    return null;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('LDAP_URL', 'must be an ldap://host[:port] or ldaps://host[:port] URL');
  }
  if ((parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') || !parsed.hostname)
    throw new ConfigError('LDAP_URL', `must be an ldap:// or ldaps:// URL, got "${parsed.protocol}"`);
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search || parsed.username)
    throw new ConfigError(
      'LDAP_URL',
      'must name only scheme, host and port (the bases are LDAP_USER_BASE and LDAP_GROUP_BASE)',
    );
  const startTlsRaw = (env.LDAP_STARTTLS || 'false').toLowerCase();
  if (startTlsRaw !== 'true' && startTlsRaw !== 'false')
    throw new ConfigError('LDAP_STARTTLS', `must be true or false, got "${startTlsRaw}"`);
  const startTls = startTlsRaw === 'true';
  if (startTls && parsed.protocol === 'ldaps:')
    throw new ConfigError('LDAP_STARTTLS', 'must not be true with an ldaps:// URL (already TLS)');
  let tlsCa: string | undefined;
  if (env.LDAP_TLS_CA_FILE) {
    try {
      tlsCa = readFileSync(resolve(env.LDAP_TLS_CA_FILE), 'utf8');
    } catch (err) {
      throw new ConfigError(
        'LDAP_TLS_CA_FILE',
        `cannot be read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
      );
    }
    if (!tlsCa.includes('-----BEGIN CERTIFICATE-----'))
      throw new ConfigError('LDAP_TLS_CA_FILE', 'must hold PEM certificates');
  }
  const bindPassword = env.LDAP_BIND_PASSWORD;
  if (bindPassword === undefined || bindPassword === '')
    throw new ConfigError('LDAP_BIND_PASSWORD', 'is required when LDAP_URL is set');
  const usernameAttribute = env.LDAP_USERNAME_ATTRIBUTE || 'uid';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(usernameAttribute))
    throw new ConfigError('LDAP_USERNAME_ATTRIBUTE', 'must be an attribute name like uid or sAMAccountName');
  const directoryId = env.LDAP_DIRECTORY_ID || 'ldap';
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(directoryId))
    throw new ConfigError(
      'LDAP_DIRECTORY_ID',
      'must be 1..32 characters of a-z 0-9 - (starting with a letter or digit)',
    );
  const clash = (env.LDAP_USERNAME_CLASH || 'refuse').toLowerCase();
  if (clash !== 'refuse' && clash !== 'suffix')
    throw new ConfigError('LDAP_USERNAME_CLASH', `must be refuse or suffix, got "${clash}"`);
  const bindDn = dn(env, 'LDAP_BIND_DN');
  const userBase = dn(env, 'LDAP_USER_BASE');
  const filter = userFilter(env);
  const groupBase = env.LDAP_GROUP_BASE ? dn(env, 'LDAP_GROUP_BASE') : undefined;
  return {
    url: `${parsed.protocol}//${parsed.host}`,
    startTls,
    ...(tlsCa ? { tlsCa } : {}),
    bindDn,
    bindPassword,
    userBase,
    userFilter: filter,
    usernameAttribute,
    ...(groupBase ? { groupBase } : {}),
    directoryId,
    usernameClash: clash,
    timeoutMs: integer(env, 'LDAP_TIMEOUT_MS', 5000, 100, 60_000),
    poolSize: integer(env, 'LDAP_POOL_SIZE', 4, 1, 64),
  };
}
