import { Injectable, Logger } from '@nestjs/common';
import {
  type AuthenticateResultDto,
  type PrincipalDto,
  sessionKeepsGrants,
  usernameProblem,
} from '@gatehouse/contracts';
import { RefusalAggregator } from '../../audit/refusal-aggregator.service';
import { ChangeClock } from '../../sessions/change-clock';
import {
  GatewaySession,
  type SessionCredential,
  credentialOf,
  methodsOf,
} from '../../sessions/gateway-session';
import { MatcherPool } from '../../sessions/matcher-pool.service';
import { SessionRegistry } from '../../sessions/session-registry.service';
import { IdentityClient } from '../../transport/identity-client.service';
import { IdentityUnavailableError } from '../../transport/identity-unavailable.error';
import type { AedesClient } from '../aedes.types';
import { clientFields } from '../connection-id';
import { AccessTokenAuthenticator } from '../connect/access-token-authenticator.service';
import { AuthAbandonedError, AuthQueueFullError } from '../connect/auth-admission.service';
import { ClientIdOwnership } from '../connect/client-id-ownership.service';
import { ConnectThrottle } from '../connect/connect-throttle.service';
import { CredentialVerifier } from '../connect/credential-verifier.service';
import { VerificationCache } from '../connect/verification-cache.service';
import { ConnackCode, ConnackError } from './connack-error';
import { isReservedTopic } from './reserved-topics';
import { publishRefusalText } from './packet-authorization.hook';
import { remoteAddressOf, verifiedCertificateOf } from './remote-address';

type Done = (error: (Error & { returnCode: number }) | null, success: boolean | null) => void;

/**
 * aedes `authenticate` (SPEC 3 CONNECT): asks admin-api (or the short-lived verification cache) who
 * the client is, compiles the session's permissions (shared per principal, {@link MatcherPool}) and
 * checks the will. Verifications go through {@link CredentialVerifier} (single-flight, admission queue).
 * Refusals: 4 bad credentials (unknown user included: no enumeration), 5 not authorized (disabled, no
 * matching grant type, rate limited, pending registration), 3 identity service unreachable or the
 * authentication queue full. Any unexpected exception refuses (5).
 */
@Injectable()
export class AuthenticateHook {
  private readonly logger = new Logger('MqttConnect');

  constructor(
    private readonly identity: IdentityClient,
    private readonly sessions: SessionRegistry,
    private readonly throttle: ConnectThrottle,
    private readonly cache: VerificationCache,
    private readonly clock: ChangeClock,
    private readonly verifier: CredentialVerifier,
    private readonly matchers: MatcherPool,
    private readonly ownership: ClientIdOwnership,
    private readonly refusals: RefusalAggregator,
    private readonly accessTokens: AccessTokenAuthenticator,
  ) {}

  readonly handle = (
    client: AedesClient,
    username: string | undefined,
    password: Buffer | undefined,
    done: Done,
  ): void => {
    this.authenticate(client, username, password).then(
      () => done(null, true),
      (err: unknown) => {
        if (err instanceof AuthAbandonedError) {
          // Nobody is listening any more; no CONNACK reaches the client. Not worth a log line per client in a storm.
          this.logger.debug(
            `CONNECT of client ${JSON.stringify(client.id)} dropped: ${err.message}`,
            clientFields(client),
          );
          done(new ConnackError(ConnackCode.SERVER_UNAVAILABLE, err.message), false);
          return;
        }
        const refusal =
          err instanceof ConnackError
            ? err
            : new ConnackError(ConnackCode.NOT_AUTHORIZED, `internal error: ${(err as Error)?.message}`);
        this.logger.log(
          `CONNECT refused (${refusal.returnCode}) client ${JSON.stringify(client.id)} user ${JSON.stringify(username ?? '')} from ${remoteAddressOf(client) ?? '?'}: ${refusal.message}`,
          clientFields(client),
        );
        this.refusals.record('mqtt.connect.refused', {
          clientId: client.id,
          username: username ?? null,
          userId: null,
          topic: null,
          sourceAddress: remoteAddressOf(client) ?? null,
        });
        done(refusal, false);
      },
    );
  };

  private async authenticate(
    client: AedesClient,
    usernameRaw: string | undefined,
    password: Buffer | undefined,
  ): Promise<void> {
    this.ownership.assertAcceptable(client);
    const cert = verifiedCertificateOf(client);
    const username = usernameRaw || cert?.commonName || '';
    if (!username) throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'no username');
    // SPEC 1.3: no such user can exist; refused here, admin-api is not asked (issue 9, defect 10)
    const badName = usernameProblem(username);
    if (badName) throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, badName);
    if (cert && cert.commonName !== username)
      throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'username is not the certificate CN');
    const passwordText = password ? password.toString('utf8') : undefined;
    if (!passwordText && !cert) throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'no password');
    // ADR 0027: a provider's access token, verified here; admin-api only says who its subject is
    if (!cert && this.accessTokens.applies(passwordText)) {
      const admitted = await this.accessTokens.authenticate(username, passwordText as string);
      return this.admit(client, admitted.principal, admitted.credential);
    }
    const ip = remoteAddressOf(client);

    const cacheKey = this.cache.cacheKey(username, passwordText ?? '', cert?.fingerprint);
    let result = this.cache.enabled ? this.cache.get(cacheKey) : undefined;
    const fromCache = result !== undefined;
    // Verified credentials pass an address over its ceiling (a NAT address a fuzzer tripped; ADR 0003).
    const retryAfter = await this.throttle.retryAfter(username, ip, { verified: fromCache });
    if (retryAfter > 0)
      throw new ConnackError(
        ConnackCode.NOT_AUTHORIZED,
        `too many failed CONNECTs; retry in ${retryAfter} s`,
      );
    let startedAt = 0; // ChangeClock position of the verification; read only when it was not cached
    if (!result) {
      // One request for every simultaneous CONNECT with these credentials, sent when a slot is free.
      const verification = this.verifier.verify(cacheKey, client, () => ({
        username,
        clientId: client.id,
        ...(passwordText ? { password: passwordText } : {}),
        ...(ip ? { remoteAddress: ip } : {}),
        ...(cert ? { certificateFingerprint: cert.fingerprint } : {}),
      }));
      startedAt = verification.startedAt;
      try {
        result = await verification.result;
      } catch (err) {
        if (err instanceof IdentityUnavailableError || err instanceof AuthQueueFullError)
          throw new ConnackError(ConnackCode.SERVER_UNAVAILABLE, err.message);
        throw err;
      }
    }
    const principal = await this.outcome(result, username, ip);
    const credential = credentialOf(result, cert?.fingerprint);
    // A change event for this user may have arrived while admin-api was answering: resolve again.
    let current: PrincipalDto | null = principal;
    if (!fromCache && this.clock.changedSince(principal.userId, startedAt)) {
      try {
        current = await this.identity.resolvePrincipal(principal.userId);
      } catch (err) {
        if (err instanceof IdentityUnavailableError)
          throw new ConnackError(ConnackCode.SERVER_UNAVAILABLE, err.message);
        throw err;
      }
      if (!current) throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'user deleted');
      if (!current.enabled) throw new ConnackError(ConnackCode.NOT_AUTHORIZED, 'user disabled');
      const grants =
        current.grantTypes &&
        sessionKeepsGrants(current.grantTypes, methodsOf(credential), credential.dependsOn);
      if (grants && !grants.ok)
        throw new ConnackError(ConnackCode.NOT_AUTHORIZED, grants.reason ?? 'grant types');
    } else if (!fromCache) {
      this.cache.set(cacheKey, result);
    }
    await this.admit(client, current, credential);
  }

  /** The session of an authenticated CONNECT: client id claimed, permissions compiled, will checked. */
  private async admit(
    client: AedesClient,
    current: PrincipalDto,
    credential: SessionCredential,
  ): Promise<void> {
    if (client.closed) return;
    // SPEC 3: before aedes takes over a live client or a stored session with this id
    const abandonClaim = await this.ownership.claim(client, current.userId);
    if (client.closed) return abandonClaim();

    let session: GatewaySession;
    try {
      session = new GatewaySession(
        client,
        current.userId,
        current.username,
        client.id,
        credential,
        current,
        this.matchers,
      );
    } catch (err) {
      abandonClaim();
      throw new ConnackError(
        ConnackCode.NOT_AUTHORIZED,
        `permissions could not be compiled: ${(err as Error).message}`,
      );
    }
    try {
      this.checkWill(client, session);
    } catch (err) {
      session.release();
      abandonClaim();
      throw err;
    }
    this.sessions.add(session);
    client.conn.once('close', () => this.sessions.remove(client));
    this.logger.debug(
      `client ${JSON.stringify(client.id)} authenticated as user ${JSON.stringify(current.username)} by ${credential.method}`,
      clientFields(client),
    );
  }

  private async outcome(
    result: AuthenticateResultDto,
    username: string,
    ip: string | undefined,
  ): Promise<PrincipalDto> {
    switch (result.outcome) {
      case 'ok':
        if (!result.principal)
          throw new ConnackError(
            ConnackCode.SERVER_UNAVAILABLE,
            'identity service answered ok without a principal',
          );
        if (result.principal.username !== username)
          throw new ConnackError(
            ConnackCode.BAD_USERNAME_OR_PASSWORD,
            'principal does not match the username',
          );
        if (!result.principal.enabled) throw new ConnackError(ConnackCode.NOT_AUTHORIZED, 'user disabled');
        await this.throttle.recordSuccess(username, ip);
        return result.principal;
      case 'bad-credentials':
        await this.throttle.recordFailure(username, ip);
        throw new ConnackError(ConnackCode.BAD_USERNAME_OR_PASSWORD, 'bad username or password');
      case 'not-authorized':
        await this.throttle.recordFailure(username, ip);
        throw new ConnackError(
          ConnackCode.NOT_AUTHORIZED,
          `not authorized${result.reason ? `: ${result.reason}` : ''}`,
        );
      case 'rate-limited':
        throw new ConnackError(ConnackCode.NOT_AUTHORIZED, 'rate limited by the identity service');
      case 'pending-registration':
        throw new ConnackError(ConnackCode.NOT_AUTHORIZED, 'registration pending approval');
      case 'unavailable':
        // not a failure of the client's: the directory behind admin-api is down (SPEC 2.1a)
        throw new ConnackError(
          ConnackCode.SERVER_UNAVAILABLE,
          `identity service unavailable${result.reason ? `: ${result.reason}` : ''}`,
        );
      default: {
        const never: never = result.outcome;
        throw new ConnackError(ConnackCode.NOT_AUTHORIZED, `unknown outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * The will is checked at CONNECT (and again when it fires, in authorizePublish). A will the user may
   * not write is dropped, not stored: the CONNECT still succeeds (ADR 0100), the will never fires.
   */
  private checkWill(client: AedesClient, session: GatewaySession): void {
    const will = client._will;
    if (!will) return;
    const topic = session.effectiveTopic(will.topic);
    // QoS and retain limits apply to the will too (SPEC 1.4.7)
    const qos = will.qos ?? 0;
    const retain = will.retain === true;
    if (isReservedTopic(topic) || !session.permissions.canPublish(topic, qos, retain)) {
      const why = isReservedTopic(topic)
        ? '$SYS/ is reserved'
        : publishRefusalText(session.permissions.publishRefusal(topic, qos, retain), topic, { qos, retain });
      this.logger.log(
        `dropping will of client ${JSON.stringify(session.clientId)}: ${why}`,
        clientFields(client),
      );
      client._will = null;
    }
  }
}
