import { Inject, Injectable } from '@nestjs/common';
import type { AuthenticateResultDto, PrincipalDto } from '@gatehouse/contracts';
import { decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway.config';
import type { OidcMqttConfig } from '../../config/oidc-mqtt.config';
import { ChangeClock } from '../../sessions/change-clock';
import type { SessionCredential } from '../../sessions/gateway-session';
import { IdentityClient } from '../../transport/identity-client.service';
import { IdentityUnavailableError } from '../../transport/identity-unavailable.error';
import { ConnackCode, ConnackError } from '../hooks/connack-error';
import { ProviderKeysUnavailableError, ProviderKeys } from './provider-keys.service';
import { VerificationCache } from './verification-cache.service';

/** Three base64url parts: the compact JWS shape (RFC 7515 §7.1). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** `typ` values of an access token (RFC 9068 §2.1 `at+jwt`; Keycloak and Entra say `JWT`). */
const ACCESS_TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);
/** The verification-cache "fingerprint" of an (issuer, subject) entry: no certificate fingerprint looks like it. */
const SUBJECT_ENTRY = 'oidc-subject';

/** A CONNECT admitted by an access token: who, and the credential the session keeps (its expiry included). */
export interface AccessTokenAdmission {
  principal: PrincipalDto;
  credential: SessionCredential;
}

/**
 * Provider-issued JWT access tokens as the MQTT password (SPEC 2.1a, `OIDC_MQTT_ACCESS_TOKENS`, ADR 0027).
 * The gateway verifies the token itself (signature against the provider's JWKS, `iss`, `aud`, algorithm,
 * `exp`/`nbf`), then asks admin-api once per (issuer, sub) who that is (cached like other verifications,
 * dropped on every change event of the user). Refusals are {@link ConnackError}s whose message names the
 * reason and never the token.
 */
@Injectable()
export class AccessTokenAuthenticator {
  private readonly config: OidcMqttConfig | null;
  private readonly flights = new Map<string, Promise<AuthenticateResultDto>>();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly keys: ProviderKeys,
    private readonly identity: IdentityClient,
    private readonly cache: VerificationCache,
    private readonly clock: ChangeClock,
  ) {
    this.config = config.oidcAccessTokens;
  }

  /**
   * Whether a password goes the access-token way: the feature is on, the password has the JWT shape and
   * its (not yet verified) `iss` is OIDC_ISSUER. Gatehouse's own tokens are JWTs too, under another issuer:
   * they, and every password, keep the way they had.
   */
  applies(password: string | undefined): boolean {
    if (!this.config || !password || password.length > 16_384 || !JWT_SHAPE.test(password)) return false;
    try {
      return decodeJwt(password).iss === this.config.issuer;
    } catch {
      return false;
    }
  }

  async authenticate(username: string, token: string): Promise<AccessTokenAdmission> {
    const cfg = this.config;
    if (!cfg) throw new ConnackError(ConnackCode.NOT_AUTHORIZED, 'access tokens are off');
    const payload = await this.verify(cfg, token);
    const subject = payload.sub as string;
    const expiresAt = (payload.exp as number) * 1000;
    const principal = await this.principalOf(cfg.issuer, subject);
    if (principal.username !== username)
      throw new ConnackError(
        ConnackCode.BAD_USERNAME_OR_PASSWORD,
        `the access token belongs to user ${JSON.stringify(principal.username)}, not to the MQTT username`,
      );
    return {
      principal,
      // ADR 0011: a token as the MQTT password is the `token` way in; it stands for a provider login (`password`)
      credential: { method: 'token', methods: ['token'], dependsOn: ['password'], expiresAt },
    };
  }

  private async verify(cfg: OidcMqttConfig, token: string): Promise<JWTPayload> {
    let payload: JWTPayload;
    try {
      const typ = decodeProtectedHeader(token).typ;
      if (typ !== undefined && !ACCESS_TOKEN_TYPES.has(typ.toLowerCase()))
        throw new ConnackError(
          ConnackCode.BAD_USERNAME_OR_PASSWORD,
          `access token refused: typ ${JSON.stringify(typ)} is not an access token`,
        );
      ({ payload } = await jwtVerify(token, this.keys.getKey, {
        issuer: cfg.issuer,
        audience: cfg.audiences,
        algorithms: cfg.algorithms,
        clockTolerance: cfg.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      if (err instanceof ConnackError) throw err;
      if (err instanceof ProviderKeysUnavailableError)
        throw new ConnackError(ConnackCode.SERVER_UNAVAILABLE, err.message);
      throw new ConnackError(
        ConnackCode.BAD_USERNAME_OR_PASSWORD,
        `access token refused: ${err instanceof Error ? err.message : 'invalid'}`,
      );
    }
    // The tolerance is for a provider clock ahead of ours (nbf, iat), never past exp: the session must not
    // outlive the token, so an expired token does not open one either.
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now())
      throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'access token refused: expired');
    if (typeof payload.sub !== 'string' || payload.sub === '' || payload.sub.length > 255)
      throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'access token refused: no usable sub');
    return payload;
  }

  /** admin-api's answer for (issuer, sub), from the verification cache when it holds one. */
  private async principalOf(issuer: string, subject: string): Promise<PrincipalDto> {
    const key = this.cache.cacheKey(issuer, subject, SUBJECT_ENTRY);
    const cached = this.cache.enabled ? this.cache.get(key) : undefined;
    if (cached?.principal) return cached.principal;
    const startedAt = this.clock.now();
    let result = await this.ask(key, issuer, subject);
    // A change event for this user arrived while admin-api answered: ask again, do not cache the old answer.
    const userId = result.principal?.userId;
    if (userId && this.clock.changedSince(userId, startedAt)) result = await this.ask(key, issuer, subject);
    else this.cache.set(key, result);
    return accepted(result);
  }

  /** One request per (issuer, sub) for every simultaneous CONNECT. */
  private async ask(key: string, issuer: string, subject: string): Promise<AuthenticateResultDto> {
    let flight = this.flights.get(key);
    if (!flight) {
      flight = this.identity.federatedPrincipal({ provider: 'oidc', issuer, subject });
      this.flights.set(key, flight);
      const forget = (): void => {
        if (this.flights.get(key) === flight) this.flights.delete(key);
      };
      flight.then(forget, forget);
    }
    try {
      return await flight;
    } catch (err) {
      if (err instanceof IdentityUnavailableError)
        throw new ConnackError(ConnackCode.SERVER_UNAVAILABLE, err.message);
      throw err;
    }
  }
}

/** admin-api's answer as a principal or a refusal (SPEC 3 codes: 4 no such user, 5 disabled or grant types). */
function accepted(result: AuthenticateResultDto): PrincipalDto {
  const why = result.reason ? `: ${result.reason}` : '';
  switch (result.outcome) {
    case 'ok':
      if (!result.principal)
        throw new ConnackError(
          ConnackCode.SERVER_UNAVAILABLE,
          'identity service answered ok without a principal',
        );
      if (!result.principal.enabled) throw new ConnackError(ConnackCode.NOT_AUTHORIZED, 'user disabled');
      return result.principal;
    case 'bad-credentials':
      throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, `access token refused${why}`);
    case 'not-authorized':
    case 'rate-limited':
    case 'pending-registration':
      throw new ConnackError(ConnackCode.NOT_AUTHORIZED, `not authorized${why}`);
    case 'unavailable':
      throw new ConnackError(ConnackCode.SERVER_UNAVAILABLE, `identity service unavailable${why}`);
    default: {
      const never: never = result.outcome;
      throw new ConnackError(ConnackCode.NOT_AUTHORIZED, `unknown outcome ${JSON.stringify(never)}`);
    }
  }
}
