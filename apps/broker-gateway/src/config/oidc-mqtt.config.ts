type Env = Record<string, string | undefined>;

/** A wrong OIDC_MQTT_* value; {@link loadGatewayConfig} turns it into a GatewayConfigError naming `variable`. */
export class OidcMqttConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'OidcMqttConfigError';
  }
}

/**
 * Asymmetric JWS algorithms a provider may sign access tokens with (ADR 0027). Never `none`, never HS*:
 * an HMAC "verified" with a public key is the classic algorithm-confusion forgery.
 */
export const ACCESS_TOKEN_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** Provider-issued JWT access tokens as the MQTT password (SPEC 2.1a, ADR 0027). */
export interface OidcMqttConfig {
  /** OIDC_ISSUER: the token's `iss` must equal it exactly; discovery at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** OIDC_MQTT_AUDIENCE (required): the token's `aud` must hold one of these. */
  audiences: string[];
  /** OIDC_MQTT_ALGORITHMS (default every asymmetric one). */
  algorithms: string[];
  /** OIDC_MQTT_CLOCK_TOLERANCE_SECONDS (default 5): for `nbf` and `iat` only; `exp` is never stretched. */
  clockToleranceSeconds: number;
  /** OIDC_MQTT_JWKS_COOLDOWN_SECONDS (default 30): an unknown `kid` fetches the JWKS at most this often. */
  jwksCooldownMs: number;
  /** OIDC_MQTT_JWKS_REFRESH_SECONDS (default 600): the keys are fetched again this often in the background. */
  jwksRefreshMs: number;
  /** OIDC_TIMEOUT_MS (default 5000): each request to the provider (discovery, JWKS). */
  timeoutMs: number;
  /** Plain http allowed (a provider on a loopback address, tests). */
  allowInsecureHttp: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const OPTIONAL = [
  'OIDC_MQTT_AUDIENCE',
  'OIDC_MQTT_ALGORITHMS',
  'OIDC_MQTT_CLOCK_TOLERANCE_SECONDS',
  'OIDC_MQTT_JWKS_COOLDOWN_SECONDS',
  'OIDC_MQTT_JWKS_REFRESH_SECONDS',
] as const;

function text(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new OidcMqttConfigError(name, `must be an integer ${min}..${max}, got "${raw}"`);
  return Number(raw);
}

function list(raw: string): string[] {
  return [
    ...new Set(
      raw
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

function issuerOf(env: Env): { issuer: string; insecure: boolean } {
  const raw = text(env, 'OIDC_ISSUER');
  if (raw === undefined)
    throw new OidcMqttConfigError('OIDC_ISSUER', 'is required when OIDC_MQTT_ACCESS_TOKENS=true');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new OidcMqttConfigError('OIDC_ISSUER', 'must be an absolute https:// URL');
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname)))
    throw new OidcMqttConfigError(
      'OIDC_ISSUER',
      'must be https:// (plain http only for a provider on 127.0.0.1 or localhost)',
    );
  if (u.username || u.password || u.hash || u.search)
    throw new OidcMqttConfigError('OIDC_ISSUER', 'must not carry credentials, a query or a #fragment');
  if (raw.length > 255) throw new OidcMqttConfigError('OIDC_ISSUER', 'must be at most 255 characters');
  return { issuer: raw, insecure: u.protocol === 'http:' };
}

/**
 * OIDC_MQTT_ACCESS_TOKENS and its companions (SPEC 7, ADR 0027). Unset or `false` → null (off). The other
 * OIDC_MQTT_* variables set while the switch is unset are an error (a forgotten switch, not "off"); with
 * an explicit `false` they are ignored, so the feature can be switched off without editing the rest.
 */
export function parseOidcMqtt(env: Env): OidcMqttConfig | null {
  const flag = text(env, 'OIDC_MQTT_ACCESS_TOKENS')?.toLowerCase();
  if (flag === undefined) {
    const stray = OPTIONAL.find((n) => text(env, n) !== undefined);
    if (stray)
      throw new OidcMqttConfigError(
        stray,
        'is set but OIDC_MQTT_ACCESS_TOKENS is not (set OIDC_MQTT_ACCESS_TOKENS=true to turn it on)',
      );
    return null;
  }
  if (flag !== 'true' && flag !== 'false')
    throw new OidcMqttConfigError('OIDC_MQTT_ACCESS_TOKENS', `must be true or false, got "${flag}"`);
  if (flag === 'false') return null;
  const { issuer, insecure } = issuerOf(env);
  const audRaw = text(env, 'OIDC_MQTT_AUDIENCE');
  if (audRaw === undefined)
    throw new OidcMqttConfigError(
      'OIDC_MQTT_AUDIENCE',
      'is required when OIDC_MQTT_ACCESS_TOKENS=true: the `aud` the provider puts in tokens meant for MQTT ' +
        '(without it a token the provider issued for any other application would open MQTT)',
    );
  const audiences = list(audRaw);
  const badAud = audiences.find((a) => a.length > 255 || /[\p{Cc}]/u.test(a));
  if (badAud !== undefined)
    throw new OidcMqttConfigError(
      'OIDC_MQTT_AUDIENCE',
      'each audience must be 1..255 characters without control characters',
    );
  const algRaw = text(env, 'OIDC_MQTT_ALGORITHMS');
  const algorithms = algRaw === undefined ? [...ACCESS_TOKEN_ALGORITHMS] : list(algRaw);
  const badAlg = algorithms.find((a) => !(ACCESS_TOKEN_ALGORITHMS as readonly string[]).includes(a));
  if (badAlg !== undefined)
    throw new OidcMqttConfigError(
      'OIDC_MQTT_ALGORITHMS',
      `"${badAlg}" is not allowed: only asymmetric algorithms (${ACCESS_TOKEN_ALGORITHMS.join(', ')}); never none or HS*`,
    );
  if (algorithms.length === 0)
    throw new OidcMqttConfigError('OIDC_MQTT_ALGORITHMS', 'must name at least one algorithm');
  return {
    issuer,
    audiences,
    algorithms,
    clockToleranceSeconds: integer(env, 'OIDC_MQTT_CLOCK_TOLERANCE_SECONDS', 5, 0, 60),
    jwksCooldownMs: integer(env, 'OIDC_MQTT_JWKS_COOLDOWN_SECONDS', 30, 1, 3600) * 1000,
    jwksRefreshMs: integer(env, 'OIDC_MQTT_JWKS_REFRESH_SECONDS', 600, 10, 86_400) * 1000,
    timeoutMs: integer(env, 'OIDC_TIMEOUT_MS', 5000, 100, 60_000),
    allowInsecureHttp: insecure,
  };
}
