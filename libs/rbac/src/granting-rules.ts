import { validatePermissionRule } from './pattern-validation';
import {
  operationGrants,
  type AccessKind,
  type PermissionContext,
  type PermissionRule,
  type PrincipalVars,
} from './permission.types';
import { substituteDenyPlaceholders, substitutePlaceholders } from './placeholders';
import { publishKind, publishKindsAdmitted } from './publish-limits';
import { classifyRequest } from './request-resource';
import { coversLevels, matches } from './topic-matching';

/**
 * Which allows of `rules` grant a request, for the dry-run API's `grantedBy` (SPEC 2.3). Linear in the
 * number of rules; not for the hot path. With {@link denyingRules}, answers exactly like
 * {@link CompiledPermissions.allows} compiled from the same rules and vars: that allows the request iff
 * this is non-empty and `denyingRules` is empty.
 *
 * @param rules - the principal's effective permissions; the same objects are returned (keep your ids)
 * @param resource - a topic or path (matched), or a pattern with `+`/`#` levels (covered)
 * @param vars - the values for `${username}` / `${clientId}`
 * @param publish - for an mqtt write: the QoS and retain flag of the PUBLISH (SPEC 1.4.7)
 * @throws RbacError when a rule is invalid (as `CompiledPermissions.compile`)
 */
export function grantingRules<T extends PermissionRule>(
  rules: readonly T[],
  context: PermissionContext,
  access: AccessKind,
  resource: string,
  vars: PrincipalVars,
  publish?: { readonly qos?: number; readonly retain?: boolean },
): T[] {
  const want =
    publish !== undefined && context === 'mqtt' && access === 'write'
      ? publishKind(publish.qos ?? 0, publish.retain ?? false)
      : -1;
  if (want === 0) return [];
  return decidingRules(rules, context, access, resource, (rule) => {
    if (rule.effect === 'deny') return null;
    if (want !== -1 && (publishKindsAdmitted(rule) & want) === 0) return null;
    return rule.context === 'mqtt' ? substitutePlaceholders(rule.resource, vars) : rule.resource;
  });
}

/**
 * Which denies of `rules` refuse a request (SPEC 1.4.6), for the dry run's `deniedBy`: those that match
 * the topic or path, or cover the pattern. Placeholders as the compiled matcher substitutes them in
 * denies. See {@link grantingRules}.
 *
 * @throws RbacError when a rule is invalid
 */
export function denyingRules<T extends PermissionRule>(
  rules: readonly T[],
  context: PermissionContext,
  access: AccessKind,
  resource: string,
  vars: PrincipalVars,
): T[] {
  return decidingRules(rules, context, access, resource, (rule) => {
    if (rule.effect !== 'deny') return null;
    return rule.context === 'mqtt' ? substituteDenyPlaceholders(rule.resource, vars) : rule.resource;
  });
}

/** The rules of `context` granting `access` whose filter (`null`: skip the rule) matches or covers. */
function decidingRules<T extends PermissionRule>(
  rules: readonly T[],
  context: PermissionContext,
  access: AccessKind,
  resource: string,
  filterOf: (rule: T) => string | null,
): T[] {
  for (const rule of rules) validatePermissionRule(rule);
  const request = classifyRequest(context, resource);
  if (request === null || (access !== 'read' && access !== 'write')) return [];
  const requestedLevels = request.mode === 'cover' ? request.value.split('/') : null;
  const out: T[] = [];
  for (const rule of rules) {
    if (rule.context !== context || !operationGrants(rule.operation, access)) continue;
    const filter = filterOf(rule);
    if (filter === null) continue;
    const hit =
      requestedLevels === null
        ? matches(filter, request.value)
        : coversLevels(filter.split('/'), requestedLevels);
    if (hit) out.push(rule);
  }
  return out;
}
