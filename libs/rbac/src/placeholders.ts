import type { PrincipalVars } from './permission.types';

/** The placeholder level replaced by the principal's username. */
export const USERNAME_PLACEHOLDER = '${username}';

/** The placeholder level replaced by the session's MQTT client id. */
export const CLIENT_ID_PLACEHOLDER = '${clientId}';

/**
 * Whether `level` is exactly one of the supported placeholders.
 */
export function isPlaceholderLevel(level: string): boolean {
  return level === USERNAME_PLACEHOLDER || level === CLIENT_ID_PLACEHOLDER;
}

/**
 * Whether `value` may be substituted for a placeholder: a non-empty string without `+`, `#`, `/` or NUL.
 * Anything else makes the rule match nothing (SPEC 1.1, fail closed).
 */
export function isSubstitutableValue(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 43 /* + */ || c === 35 /* # */ || c === 47 /* / */ || c === 0) return false;
  }
  return true;
}

/**
 * Replaces `${username}` / `${clientId}` levels of an (already validated) `mqtt` resource with the
 * principal's values.
 *
 * Fails closed, returning `null` (the rule matches nothing for this principal), when a value used is
 * missing, empty or contains `+`, `#`, `/` or NUL; and when a value starting with `$` would become the
 * first level, because topics starting with `$` are reserved for the broker (`$SYS`), no `+`/`#`
 * permission reaches them [MQTT-4.7.2-1], and a client must not reach them by choosing its client id.
 *
 * @returns the concrete filter, or `null` when the rule must match nothing
 */
export function substitutePlaceholders(resource: string, vars: PrincipalVars): string | null {
  return substitute(resource, vars, (_levels, _i) => null, false);
}

/**
 * Substitutes the placeholders of a deny (SPEC 1.4.6), failing closed the other way round: a deny must
 * never block less because a value is unusable. A valid value is substituted as it is (a `$` first level
 * included: the deny then blocks exactly that `$` topic tree). A value that is missing, empty or contains
 * `+`, `#`, `/` or NUL turns its level into `#` and drops the levels after it, so the deny blocks every
 * topic under the levels before it (`secret/${clientId}/x` with client id `a/b` blocks `secret/#`). At
 * the first level that is `#`, which blocks every topic not starting with `$` [MQTT-4.7.2-1].
 *
 * @returns the concrete filter (never `null`)
 */
export function substituteDenyPlaceholders(resource: string, vars: PrincipalVars): string {
  return substitute(resource, vars, (levels, i) => [...levels.slice(0, i), '#'].join('/'), true);
}

/**
 * The placeholder levels of `resource` replaced with the principal's values; at the first unusable
 * value (or a `$` value in the first level, unless `dollarFirstOk`) the answer is `unusable(levels, i)`.
 */
function substitute<T>(
  resource: string,
  vars: PrincipalVars,
  unusable: (levels: readonly string[], i: number) => T,
  dollarFirstOk: boolean,
): string | T {
  if (resource.indexOf('${') === -1) return resource;
  const levels = resource.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    let value: unknown;
    if (level === USERNAME_PLACEHOLDER) value = vars.username;
    else if (level === CLIENT_ID_PLACEHOLDER) value = vars.clientId;
    else continue;
    if (!isSubstitutableValue(value)) return unusable(levels, i);
    if (i === 0 && !dollarFirstOk && value.charCodeAt(0) === 36 /* $ */) return unusable(levels, i);
    levels[i] = value;
  }
  return levels.join('/');
}
