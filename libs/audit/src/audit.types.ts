/** The action names of SPEC 6. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.logout',
  'token.create',
  'token.revoke',
  'user.create',
  'user.update',
  'user.delete',
  'role.create',
  'role.update',
  'role.delete',
  'role.rollback',
  'mfa.enroll',
  'mfa.disable',
  'mfa.reset',
  'registry.unlock',
  'registry.lock',
  'registry.request',
  'registry.grant',
  'registry.reject',
  'certificate.issue',
  'certificate.revoke',
  'session.disconnect',
  'mqtt.connect.refused',
  'mqtt.publish.denied',
  'mqtt.subscribe.denied',
  // policy as code (issue 13, ADR 0028)
  'policy.apply',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_RESULTS = ['success', 'failure', 'denied'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** Who acted: an authenticated user, or `null` (a failed login, a refused CONNECT). */
export interface AuditActor {
  id: string | null;
  username: string | null;
}

/** What was acted on, e.g. `{type: 'user', id, name: username}`. */
export interface AuditTarget {
  type: string;
  id: string | null;
  name: string | null;
}

/** One changed field: its value before and after (secrets never appear, see `auditChanges`). */
export interface FieldChange {
  before: unknown;
  after: unknown;
}

export type AuditChanges = Record<string, FieldChange>;

/** What a caller records; the service adds id, sequence number, instance id and the hashes. */
export interface AuditEventInput {
  /** Default: now. Aggregated MQTT refusals carry the start of their minute. */
  at?: Date;
  actor: AuditActor | null;
  action: AuditAction;
  target: AuditTarget;
  result: AuditResult;
  sourceAddress: string | null;
  /** Default: this instance's id. A gateway's refusals carry the gateway's id. */
  instanceId?: string;
  changes?: AuditChanges | null;
  /** How many occurrences this event stands for (aggregated MQTT refusals). */
  count?: number | null;
  /** The MQTT topic or filter of a refused PUBLISH or SUBSCRIBE. */
  topic?: string | null;
}

/** A stored audit event (SPEC 6). */
export interface AuditEvent {
  id: string;
  /** Position in the chain, 1, 2, 3, … without gaps. */
  seq: number;
  at: Date;
  actor: AuditActor | null;
  action: string;
  target: AuditTarget;
  result: AuditResult;
  sourceAddress: string | null;
  instanceId: string;
  changes: AuditChanges | null;
  count: number | null;
  topic: string | null;
  prevHash: string;
  hash: string;
}

/** Filters of `GET /api/audit-events` (SPEC 6). */
export interface AuditQuery {
  /** A user id, or a username. */
  actor?: string;
  action?: string;
  targetId?: string;
  result?: AuditResult;
  from?: Date;
  to?: Date;
  limit: number;
  cursor?: string;
}

export interface AuditPage {
  items: AuditEvent[];
  nextCursor: string | null;
}

/** The answer of a chain walk (SPEC 6: `{ok, checked, firstBrokenId?}`). */
export interface AuditVerification {
  ok: boolean;
  checked: number;
  firstBrokenId?: string;
  firstBrokenSeq?: number;
  reason?: string;
  /** The hash the walk started from: the genesis, or the head of what retention pruned. */
  startHash: string;
  prunedThroughSeq: number;
}
