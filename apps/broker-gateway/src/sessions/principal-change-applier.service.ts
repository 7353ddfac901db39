import { Injectable, Logger } from '@nestjs/common';
import { type PrincipalChangedEventDto, type PrincipalDto, sessionKeepsGrants } from '@gatehouse/contracts';
import { VerificationCache } from '../broker/connect/verification-cache.service';
import { clientFields } from '../broker/connection-id';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { ChangeClock } from './change-clock';
import { type GatewaySession, methodsOf } from './gateway-session';
import { MatcherPool } from './matcher-pool.service';
import { SessionRegistry } from './session-registry.service';

/**
 * Applies principal change events to live sessions (SPEC 3 "Live changes"): rebuilds the matcher (once
 * per principal when it is shared: the first session compiles, the others get the same one),
 * removes subscriptions the new permissions no longer cover (from the broker, and from the persistence
 * of a `clean = false` session so they do not come back on reconnect), and disconnects the sessions a
 * disable, delete, credential revocation or grant-type change (ADR 0011) ends. Sessions of other users
 * are not touched.
 */
@Injectable()
export class PrincipalChangeApplier {
  private readonly logger = new Logger(PrincipalChangeApplier.name);

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly cache: VerificationCache,
    private readonly clock: ChangeClock,
    private readonly matchers: MatcherPool,
    private readonly metrics: GatewayMetrics,
  ) {}

  apply(event: PrincipalChangedEventDto): void {
    this.clock.tick(event.userId);
    this.cache.evictUser(event.userId);
    try {
      this.applyToSessions(event);
    } finally {
      // After the sessions switched or ended: the matchers they gave back belong to an outdated principal.
      this.matchers.evictUser(event.userId);
    }
  }

  private applyToSessions(event: PrincipalChangedEventDto): void {
    const sessions = this.sessions.sessionsOf(event.userId);
    if (sessions.length === 0) return;
    switch (event.kind) {
      case 'permissions':
        if (event.principal) {
          for (const s of sessions) this.applyPrincipal(s, event.principal);
        } else {
          // A permissions event without the principal cannot be applied: fail closed.
          for (const s of sessions) this.end(s, 'permissions changed without a principal');
        }
        return;
      case 'disabled':
      case 'deleted':
        for (const s of sessions) this.end(s, `user ${event.kind}`);
        return;
      case 'credentials-changed':
        for (const s of sessions)
          if (s.credential.method !== 'certificate') this.end(s, 'credentials changed');
        return;
      case 'token-revoked':
        for (const s of sessions)
          if (s.credential.method === 'token' && s.credential.tokenId === event.tokenId)
            this.end(s, 'token revoked');
        return;
      case 'certificate-revoked':
        for (const s of sessions) {
          if (
            s.credential.certificateFingerprint &&
            s.credential.certificateFingerprint === event.certificateFingerprint
          ) {
            this.end(s, 'certificate revoked');
          }
        }
        return;
      case 'grants-changed':
        for (const s of sessions) this.applyGrants(s, event.grantTypes);
        return;
      default: {
        const never: never = event.kind;
        this.logger.warn(`unknown change kind ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * Re-applies what admin-api says now about a user (after a missed-event window, e.g. admin-api
   * restarted): `null` = deleted.
   */
  reconcile(userId: string, principal: PrincipalDto | null): void {
    if (principal === null) this.apply({ userId, kind: 'deleted' });
    else if (!principal.enabled) this.apply({ userId, kind: 'disabled' });
    else this.apply({ userId, kind: 'permissions', principal });
  }

  /** ADR 0011, ASVS 7.4.3: a session whose way in the new grant types no longer admit ends. */
  private applyGrants(session: GatewaySession, grantTypes: PrincipalDto['grantTypes']): void {
    if (!grantTypes) {
      this.end(session, 'grant types changed without the grant types'); // fail closed
      return;
    }
    const decision = sessionKeepsGrants(
      grantTypes,
      methodsOf(session.credential),
      session.credential.dependsOn,
    );
    if (!decision.ok) this.end(session, `grant types changed: ${decision.reason}`);
  }

  private applyPrincipal(session: GatewaySession, principal: PrincipalDto): void {
    if (!principal.enabled) {
      this.end(session, 'user disabled');
      return;
    }
    if (principal.grantTypes) {
      this.applyGrants(session, principal.grantTypes);
      if (session.revoked) return;
    }
    try {
      if (!session.update(principal)) return;
    } catch (err) {
      this.end(session, `permissions could not be compiled: ${(err as Error).message}`);
      return;
    }
    this.pruneSubscriptions(session);
  }

  /** Removes the session's subscriptions that its permissions no longer cover [SPEC 1.4.3, 1.4.4]. */
  private pruneSubscriptions(session: GatewaySession): void {
    const client = session.client;
    if (client.closed) return;
    const lost = Object.keys(client.subscriptions).filter((f) => !safeCanSubscribe(session, f));
    if (lost.length === 0) return;
    this.metrics.revocationApplied();
    this.logger.log(
      `removing ${lost.length} subscription(s) of client ${JSON.stringify(session.clientId)} no longer covered`,
      clientFields(client),
    );
    // Server-side removal without an UNSUBACK: the client is not told (MQTT 3.1.1 has no way to).
    client.unsubscribe(lost as never, (err?: Error) => {
      if (err)
        this.logger.warn(
          `unsubscribe failed for client ${JSON.stringify(session.clientId)}: ${err.message}`,
          clientFields(client),
        );
    });
    if (!client.clean) {
      client.broker.persistence.removeSubscriptions(client, lost).catch((err: Error) => {
        this.logger.warn(
          `could not remove persisted subscriptions of ${JSON.stringify(session.clientId)}: ${err.message}`,
          clientFields(client),
        );
      });
    }
  }

  private end(session: GatewaySession, reason: string): void {
    if (session.revoked) return;
    session.revoked = true;
    this.metrics.revocationApplied();
    this.logger.log(
      `disconnecting client ${JSON.stringify(session.clientId)} of user ${JSON.stringify(session.username)}: ${reason}`,
      clientFields(session.client),
    );
    this.sessions.remove(session.client);
    session.client.close();
  }
}

function safeCanSubscribe(session: GatewaySession, filter: string): boolean {
  try {
    return session.permissions.canSubscribe(filter);
  } catch {
    return false;
  }
}
