import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  createRemoteJWKSet,
  type CryptoKey,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type RemoteJWKSet,
} from 'jose';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';
import type { OidcMqttConfig } from '../../config/oidc-mqtt.config';

/** The provider's keys could not be fetched at all (discovery or JWKS never answered): CONNACK 3. */
export class ProviderKeysUnavailableError extends Error {
  readonly code = 'GATEWAY.PROVIDER_KEYS_UNAVAILABLE';
  constructor(detail: string) {
    super(`the identity provider's keys cannot be fetched: ${detail}`);
    this.name = 'ProviderKeysUnavailableError';
  }
}

/** Errors of choosing a key from a key set the gateway holds (as opposed to fetching one). */
function isKeySelectionError(err: unknown): boolean {
  return (
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The signing keys of the OIDC provider for access tokens presented as the MQTT password (ADR 0027): the
 * `jwks_uri` from discovery, then jose's `createRemoteJWKSet` with its cooldown, so a new `kid` after a key
 * rotation is fetched once (a storm of CONNECTs with the same unknown `kid` shares one fetch, and a token
 * naming a made-up `kid` makes at most one fetch per OIDC_MQTT_JWKS_COOLDOWN_SECONDS). Keys never go
 * stale by age alone: they are fetched again every OIDC_MQTT_JWKS_REFRESH_SECONDS in the background, and
 * while the provider is down the keys already held keep working. Only when no key set was ever fetched
 * does verification fail with {@link ProviderKeysUnavailableError}. No network I/O per CONNECT otherwise.
 */
@Injectable()
export class ProviderKeys implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OidcKeys');
  private readonly config: OidcMqttConfig | null;
  private remote: RemoteJWKSet | undefined;
  private discovering: Promise<RemoteJWKSet> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.config = config.oidcAccessTokens;
  }

  onApplicationBootstrap(): void {
    const cfg = this.config;
    if (!cfg) return;
    // Fetched ahead of the first CONNECT; a provider that is down now only delays it.
    this.keySet()
      .then((set) => set.reload())
      .catch((err: unknown) =>
        this.logger.warn(
          `cannot fetch the keys of ${cfg.issuer} yet (${describe(err)}): access-token CONNECTs get CONNACK 3 until it answers`,
        ),
      );
    this.refreshTimer = setInterval(() => this.refresh(), cfg.jwksRefreshMs);
    this.refreshTimer.unref();
  }

  onApplicationShutdown(): void {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
  }

  /** The key resolver for `jwtVerify`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    let set: RemoteJWKSet;
    try {
      set = await this.keySet();
    } catch (err) {
      throw new ProviderKeysUnavailableError(`discovery: ${describe(err)}`);
    }
    try {
      return await set(header, token);
    } catch (err) {
      if (isKeySelectionError(err)) throw err;
      // the fetch failed: with keys held, the token simply names none of them; without, nothing can be decided
      if (set.jwks() === undefined) throw new ProviderKeysUnavailableError(`JWKS: ${describe(err)}`);
      throw new errors.JWKSNoMatchingKey(
        `no key held matches the token's kid, and the JWKS could not be fetched again: ${describe(err)}`,
      );
    }
  };

  private refresh(): void {
    const set = this.remote;
    if (!set) return;
    set.reload().catch((err: unknown) => {
      const held = set.jwks()?.keys.length ?? 0;
      this.logger.warn(`JWKS refresh failed (${describe(err)}); keeping the ${held} key(s) fetched before`);
    });
  }

  private keySet(): Promise<RemoteJWKSet> {
    if (this.remote) return Promise.resolve(this.remote);
    this.discovering ??= this.discover().finally(() => (this.discovering = undefined));
    return this.discovering;
  }

  /** OpenID Connect Discovery 1.0 §4: the metadata's `issuer` must equal ours exactly (§4.3). */
  private async discover(): Promise<RemoteJWKSet> {
    const cfg = this.config;
    if (!cfg) throw new Error('OIDC_MQTT_ACCESS_TOKENS is off');
    const url = `${cfg.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, {
      redirect: 'manual',
      signal: AbortSignal.timeout(cfg.timeoutMs),
      headers: { accept: 'application/json' },
    });
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    const meta = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (meta.issuer !== cfg.issuer)
      throw new Error(`the discovery document names issuer ${JSON.stringify(meta.issuer)}, not OIDC_ISSUER`);
    if (typeof meta.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
    const jwksUri = new URL(meta.jwks_uri);
    if (jwksUri.protocol !== 'https:' && !(cfg.allowInsecureHttp && jwksUri.protocol === 'http:'))
      throw new Error(`jwks_uri must be https, got ${jwksUri.protocol}`);
    const remote = createRemoteJWKSet(jwksUri, {
      timeoutDuration: cfg.timeoutMs,
      cooldownDuration: cfg.jwksCooldownMs,
      cacheMaxAge: Infinity,
    });
    this.remote = remote;
    return remote;
  }
}
