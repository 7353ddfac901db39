import type { AuditChanges } from './audit.types';
import { canonicalJson } from './canonical';

/**
 * The fields whose before/after an audit event may carry, per target type (a whitelist: a field not
 * named here never reaches the store, so a password, hash, token, TOTP secret or key cannot leak
 * into `changes` by a new field on a view).
 */
export const AUDITED_FIELDS: Readonly<Record<string, readonly string[]>> = {
  user: [
    'username',
    'enabled',
    'roles',
    'permissions',
    'grantTypes',
    'mqttPublishPrefix',
    'enforceMFAEnrollment',
    'identityProvider',
    'passwordChangeRequired',
  ],
  role: ['name', 'description', 'permissions'],
};

/** Fields that are secrets: a change is recorded as `{before: '[secret]', after: '[secret]'}`, never a value. */
export const SECRET_FIELDS: readonly string[] = ['password', 'mfaBackupCodes'];

export const SECRET_MARK = '[secret]';

/** Element order carries no meaning in these lists; an `id` inside a permission is storage detail. */
function normalize(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return value
      .map((v) => normalize(v))
      .sort((a, b) => {
        const ca = canonicalJson(a);
        const cb = canonicalJson(b);
        return ca < cb ? -1 : ca > cb ? 1 : 0;
      });
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k !== 'id' && v !== undefined) out[k] = normalize(v);
    }
    return out;
  }
  return value ?? null;
}

/**
 * The before/after of the whitelisted fields of `type` that differ between `before` and `after`
 * (`null` for a state that does not exist: before a create, after a delete), plus a marker for each
 * secret field that `secretsChanged` names. `null` when nothing recordable changed.
 */
export function auditChanges(
  type: string,
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
  secretsChanged: readonly string[] = [],
): AuditChanges | null {
  const out: AuditChanges = {};
  for (const field of AUDITED_FIELDS[type] ?? []) {
    const b = before === null ? null : normalize(before[field]);
    const a = after === null ? null : normalize(after[field]);
    if (canonicalJson(b) !== canonicalJson(a)) out[field] = { before: b, after: a };
  }
  for (const field of secretsChanged) {
    if (SECRET_FIELDS.includes(field)) out[field] = { before: SECRET_MARK, after: SECRET_MARK };
  }
  return Object.keys(out).length > 0 ? out : null;
}
