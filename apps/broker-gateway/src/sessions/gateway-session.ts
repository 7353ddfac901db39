import type { PrincipalDto } from '@gatehouse/contracts';
import { CompiledPermissions } from '@gatehouse/rbac';
import type { AedesClient } from '../broker/aedes.types';

export type AuthMethod = 'password' | 'token' | 'certificate';

/** How a session authenticated: revoking that credential ends it (SPEC 3, live changes). */
export interface SessionCredential {
  method: AuthMethod;
  tokenId?: string;
  certificateFingerprint?: string;
}

/**
 * One MQTT connection's authorization state: the principal's compiled permissions (SPEC 3, "each
 * session holds its principal's compiled permissions"). Every hook reads it synchronously; a change
 * event swaps {@link permissions} for a freshly compiled matcher.
 */
export class GatewaySession {
  permissions: CompiledPermissions;
  publishPrefix: string;
  version: number;
  /** Set once the gateway decided to end the session: from then on nothing is authorized (not even the will). */
  revoked = false;

  constructor(
    readonly client: AedesClient,
    readonly userId: string,
    readonly username: string,
    readonly clientId: string,
    readonly credential: SessionCredential,
    principal: PrincipalDto,
  ) {
    this.permissions = GatewaySession.compile(principal, clientId);
    this.publishPrefix = principal.mqttPublishPrefix ?? '';
    this.version = principal.permissionsVersion;
  }

  /**
   * Compiles the principal's `mqtt` rules with its `${username}` / `${clientId}` values.
   * @throws RbacError when a rule is invalid (fail closed: the caller refuses or ends the session)
   */
  static compile(principal: PrincipalDto, clientId: string): CompiledPermissions {
    return CompiledPermissions.compile(
      principal.permissions.filter((p) => p.context === 'mqtt'),
      { username: principal.username, clientId },
    );
  }

  /**
   * Applies a newer principal. Returns false (and changes nothing) when `principal` is older than what
   * the session holds: events may arrive out of order across reconnects and resyncs.
   */
  update(principal: PrincipalDto): boolean {
    if (principal.permissionsVersion < this.version) return false;
    const compiled = GatewaySession.compile(principal, this.clientId);
    this.permissions = compiled;
    this.publishPrefix = principal.mqttPublishPrefix ?? '';
    this.version = principal.permissionsVersion;
    return true;
  }

  /** The topic a PUBLISH of `topic` lands on: the publish prefix first (SPEC 1.3). */
  effectiveTopic(topic: string): string {
    return this.publishPrefix + topic;
  }
}
