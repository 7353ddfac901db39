import type { AuditActor, AuditEventInput } from '@gatehouse/audit';
import type { PolicyApplyResult } from '@gatehouse/contracts';

/** Names listed per list in the `policy.apply` event; `count` says how many entities there were. */
export const MAX_NAMES_IN_EVENT = 1000;

/**
 * The `policy.apply` event of an applied document (ADR 0028): the names of what it created, changed and
 * deleted (at most {@link MAX_NAMES_IN_EVENT} per list), and how many in all. Never a secret: a
 * document holds none.
 */
export function policySummaryEvent(
  result: Pick<PolicyApplyResult, 'roles' | 'users'>,
  actor: AuditActor | null,
  sourceAddress: string | null,
): AuditEventInput {
  const names = (list: readonly string[]) =>
    list.length > MAX_NAMES_IN_EVENT
      ? [...list.slice(0, MAX_NAMES_IN_EVENT), `… and ${list.length - MAX_NAMES_IN_EVENT} more`]
      : [...list];
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  const put = (field: string, list: readonly string[], removed = false) => {
    if (list.length === 0) return;
    changes[field] = removed ? { before: names(list), after: null } : { before: null, after: names(list) };
  };
  put('roles.created', result.roles.created);
  put(
    'roles.changed',
    result.roles.changed.map((c) => c.name),
  );
  put('roles.deleted', result.roles.deleted, true);
  put('users.created', result.users.created);
  put(
    'users.changed',
    result.users.changed.map((c) => c.username),
  );
  put('users.deleted', result.users.deleted, true);
  const count =
    result.roles.created.length +
    result.roles.changed.length +
    result.roles.deleted.length +
    result.users.created.length +
    result.users.changed.length +
    result.users.deleted.length;
  return {
    action: 'policy.apply',
    result: 'success',
    actor,
    target: { type: 'policy', id: null, name: 'policy' },
    changes: Object.keys(changes).length > 0 ? changes : null,
    // an apply that found nothing to change is recorded too (who applied what, when), without a count
    count: count > 0 ? count : null,
    sourceAddress,
  };
}
