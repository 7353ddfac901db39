import type { AuthenticateResultDto, GrantMethod, PrincipalDto } from '@gatehouse/contracts';
import type { CompiledPermissions } from '@gatehouse/rbac';
import type { AedesClient } from '../broker/aedes.types';
import type { MatcherLease, MatcherPool } from './matcher-pool.service';

export type AuthMethod = 'password' | 'token' | 'certificate';

/** How a session authenticated: revoking that credential ends it (SPEC 3, live changes). */
export interface SessionCredential {
  method: AuthMethod;
  /** Every method the CONNECT proved (ADR 0011): removing one of these grant types ends the session. */
  methods?: readonly GrantMethod[];
  /** Grants the credential itself needs (a login token: `password`): removing one ends the session. */
  dependsOn?: readonly GrantMethod[];
  tokenId?: string;
  certificateFingerprint?: string;
  /** When the credential expires (token `exp`, certificate `notAfter`), ms since the epoch: the session ends then. */
  expiresAt?: number;
}

/** The credential of a session admin-api (or the cache) admitted. */
export function credentialOf(
  result: AuthenticateResultDto,
  certificateFingerprint: string | undefined,
): SessionCredential {
  const method = result.method ?? (certificateFingerprint ? 'certificate' : 'password');
  const fingerprint = result.certificateFingerprint ?? certificateFingerprint;
  return {
    method,
    methods: result.methods && result.methods.length > 0 ? result.methods : [method],
    ...(result.dependsOn && result.dependsOn.length > 0 ? { dependsOn: result.dependsOn } : {}),
    ...(result.tokenId ? { tokenId: result.tokenId } : {}),
    ...(fingerprint ? { certificateFingerprint: fingerprint } : {}),
    ...(result.expiresAt !== undefined ? { expiresAt: result.expiresAt } : {}),
  };
}

/**
 * One MQTT connection's authorization state: the principal's compiled permissions (SPEC 3, "each
 * session holds its principal's compiled permissions"). Every hook reads it synchronously; a change
 * event swaps {@link permissions} for the new principal's matcher, which the {@link MatcherPool} shares
 * with the other sessions of the principal (ADR 0100); {@link release} gives it back.
 */
export class GatewaySession {
  permissions: CompiledPermissions;
  publishPrefix: string;
  version: number;
  /** Set once the gateway decided to end the session: from then on nothing is authorized (not even the will). */
  revoked = false;
  /** When the session was admitted (ms since the epoch): `GET /api/sessions` "connected since". */
  readonly connectedAt = Date.now();
  private lease: MatcherLease;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly client: AedesClient,
    readonly userId: string,
    readonly username: string,
    readonly clientId: string,
    readonly credential: SessionCredential,
    principal: PrincipalDto,
    private readonly pool: MatcherPool,
  ) {
    this.lease = this.acquire(principal);
    this.permissions = this.lease.permissions;
    this.publishPrefix = principal.mqttPublishPrefix ?? '';
    this.version = principal.permissionsVersion;
  }

  /**
   * Applies a newer principal. Returns false (and changes nothing) when `principal` is older than what
   * the session holds: events may arrive out of order across reconnects and resyncs.
   */
  update(principal: PrincipalDto): boolean {
    if (principal.permissionsVersion < this.version) return false;
    const lease = this.acquire(principal);
    this.lease.release();
    this.lease = lease;
    this.permissions = lease.permissions;
    this.publishPrefix = principal.mqttPublishPrefix ?? '';
    this.version = principal.permissionsVersion;
    return true;
  }

  /** Gives the matcher back to the pool (the session ended) and clears the expiry timer. Idempotent. */
  release(): void {
    this.lease.release();
    this.setExpiryTimer(undefined);
  }

  /** The timer that ends the session when its credential expires (one at a time). */
  setExpiryTimer(timer: NodeJS.Timeout | undefined): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.expiryTimer = timer;
  }

  private acquire(principal: PrincipalDto): MatcherLease {
    return this.pool.acquire(principal, this.clientId);
  }

  /** The topic a PUBLISH of `topic` lands on: the publish prefix first (SPEC 1.3). */
  effectiveTopic(topic: string): string {
    return this.publishPrefix + topic;
  }
}

/** The methods a session logged in by (ADR 0011). */
export function methodsOf(credential: SessionCredential): readonly GrantMethod[] {
  return credential.methods ?? [credential.method];
}
