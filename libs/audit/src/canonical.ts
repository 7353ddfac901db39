import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit.types';

/** The `prevHash` of the first event of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Deterministic JSON: object keys sorted (recursively), no whitespace, `undefined` members left
 * out. Arrays keep their order. Only JSON values are expected (what PostgreSQL's jsonb returns).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('not a JSON number');
    return JSON.stringify(value) ?? 'null';
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The stored fields that the hash covers: everything but the hashes themselves. */
export type HashedFields = Omit<AuditEvent, 'hash' | 'prevHash'>;

/** The canonical form of an event: the hashed fields, `at` as an ISO-8601 string with milliseconds. */
export function canonicalEvent(e: HashedFields): string {
  return canonicalJson({
    id: e.id,
    seq: e.seq,
    at: e.at.toISOString(),
    actor: e.actor,
    action: e.action,
    target: e.target,
    result: e.result,
    sourceAddress: e.sourceAddress,
    instanceId: e.instanceId,
    changes: e.changes,
    count: e.count,
    topic: e.topic,
  });
}

/** `hash = SHA-256(canonical event ‖ prevHash)`, hex. */
export function eventHash(e: HashedFields, prevHash: string): string {
  return createHash('sha256').update(canonicalEvent(e)).update(prevHash).digest('hex');
}
