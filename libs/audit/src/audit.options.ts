/** How the audit service of this process runs. */
export interface AuditOptions {
  /** Names this process in every event it records (SPEC 6 `instanceId`). */
  instanceId: string;
  /** `AUDIT_RETENTION_DAYS`: events older than this are pruned (the chain stays verifiable). */
  retentionDays: number;
  /** How often the prune runs; 0: only when called. */
  pruneIntervalMs: number;
}

export const AUDIT_OPTIONS = Symbol('AUDIT_OPTIONS');
