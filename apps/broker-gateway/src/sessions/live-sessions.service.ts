import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type DisconnectSessionResultDto,
  type ListSessionsRequestDto,
  type ListSessionsResultDto,
  type LiveSessionDto,
  type PreviewRevocationDto,
  type PreviewRevocationsResultDto,
  type PrincipalDto,
  sessionKeepsGrants,
} from '@gatehouse/contracts';
import { CompiledPermissions } from '@gatehouse/rbac';
import { remoteAddressOf } from '../broker/hooks/remote-address';
import { clientFields, connectionOf } from '../broker/connection-id';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config';
import { GatewayMetrics } from '../metrics/gateway-metrics.service';
import { type GatewaySession, methodsOf } from './gateway-session';
import { SessionRegistry } from './session-registry.service';

/**
 * What admin-api asks a gateway about its live sessions (ADR 0022): list them, end one by client id,
 * and preview what would-be principals revoke, with the same matcher ({@link CompiledPermissions})
 * the gateway enforces with. Reads the {@link SessionRegistry}; changes nothing except on disconnect.
 */
@Injectable()
export class LiveSessions {
  private readonly logger = new Logger('MqttSession');
  /** Tells two processes with one GATEWAY_ID (or a restart) apart. */
  readonly instance = randomUUID();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly sessions: SessionRegistry,
    private readonly metrics: GatewayMetrics,
  ) {}

  list(req: ListSessionsRequestDto): ListSessionsResultDto {
    const sessions = (req.userId ? this.sessions.sessionsOf(req.userId) : this.sessions.all())
      .filter((s) => !s.revoked && !s.client.closed)
      .filter((s) => req.clientId === undefined || s.clientId === req.clientId)
      .map((s) => this.describe(s));
    return { gatewayId: this.config.gatewayId, gatewayInstance: this.instance, sessions };
  }

  disconnect(clientId: string): DisconnectSessionResultDto {
    let disconnected = false;
    for (const s of this.sessions.all()) {
      if (s.clientId !== clientId || s.revoked) continue;
      s.revoked = true;
      this.metrics.revocationApplied();
      this.logger.log(
        `disconnecting client ${JSON.stringify(s.clientId)} of user ${JSON.stringify(s.username)}: disconnected by an administrator`,
        clientFields(s.client),
      );
      this.sessions.remove(s.client);
      s.client.close();
      disconnected = true;
    }
    return { gatewayId: this.config.gatewayId, gatewayInstance: this.instance, disconnected };
  }

  /**
   * The subscriptions (and sessions) of the principals' users that the principals would revoke: the
   * same decisions as {@link PrincipalChangeApplier} makes when the change event arrives. Compiles
   * each principal once per session (a `${clientId}` rule differs per session), never installs it.
   */
  preview(
    principals: readonly PrincipalDto[],
    credentialsChanged: readonly string[] = [],
  ): PreviewRevocationsResultDto {
    const newPassword = new Set(credentialsChanged);
    const revocations: PreviewRevocationDto[] = [];
    const gatewayId = this.config.gatewayId;
    for (const principal of principals) {
      for (const s of this.sessions.sessionsOf(principal.userId)) {
        if (s.revoked || s.client.closed) continue;
        const base = { userId: s.userId, clientId: s.clientId, gatewayId };
        if (!principal.enabled) {
          revocations.push({ ...base, kind: 'session' });
          continue;
        }
        // A new password ends the sessions that logged in with the password or a token.
        if (newPassword.has(s.userId) && s.credential.method !== 'certificate') {
          revocations.push({ ...base, kind: 'session' });
          continue;
        }
        // ADR 0011: the grant types the principal carries must still admit the session's way in.
        if (
          principal.grantTypes &&
          !sessionKeepsGrants(principal.grantTypes, methodsOf(s.credential), s.credential.dependsOn).ok
        ) {
          revocations.push({ ...base, kind: 'session' });
          continue;
        }
        let matcher: CompiledPermissions;
        try {
          matcher = CompiledPermissions.compile(
            principal.permissions.filter((p) => p.context === 'mqtt'),
            { username: principal.username, clientId: s.clientId },
          );
        } catch {
          revocations.push({ ...base, kind: 'session' }); // the gateway fails closed
          continue;
        }
        for (const filter of Object.keys(s.client.subscriptions)) {
          if (!safeCanSubscribe(matcher, filter)) revocations.push({ ...base, kind: 'subscription', filter });
        }
      }
    }
    return { gatewayId, gatewayInstance: this.instance, revocations };
  }

  private describe(s: GatewaySession): LiveSessionDto {
    const subs = s.client.subscriptions as Record<string, { qos?: number } | undefined>;
    const remoteAddress = remoteAddressOf(s.client);
    return {
      clientId: s.clientId,
      userId: s.userId,
      username: s.username,
      gatewayId: this.config.gatewayId,
      gatewayInstance: this.instance,
      ...(remoteAddress ? { remoteAddress } : {}),
      listener: connectionOf(s.client)?.listener ?? 'unknown',
      subscriptions: Object.entries(subs).map(([filter, sub]) => ({ filter, qos: sub?.qos ?? 0 })),
      connectedAt: new Date(s.connectedAt).toISOString(),
    };
  }
}

function safeCanSubscribe(matcher: CompiledPermissions, filter: string): boolean {
  try {
    return matcher.canSubscribe(filter);
  } catch {
    return false;
  }
}
