import { validatePermissionRule } from './pattern-validation';
import {
  accessKindsOf,
  operationGrants,
  type AccessKind,
  type PermissionContext,
  type PermissionRule,
  type PrincipalVars,
} from './permission.types';
import { substitutePlaceholders } from './placeholders';
import { classifyRequest } from './request-resource';
import { coversLevels, matches } from './topic-matching';

/**
 * Which of `rules` grant a request, for the dry-run API's `grantedBy` (SPEC 2.3). Linear in the number
 * of rules; not for the hot path. Answers exactly like {@link CompiledPermissions.allows} compiled from
 * the same rules and vars: the result is non-empty iff that allows the request.
 *
 * @param rules - the principal's effective permissions; the same objects are returned (keep your ids)
 * @param resource - a topic or path (matched), or a pattern with `+`/`#` levels (covered)
 * @param vars - the values for `${username}` / `${clientId}`
 * @throws RbacError when a rule is invalid (as `CompiledPermissions.compile`)
 */
export function grantingRules<T extends PermissionRule>(
  rules: readonly T[],
  context: PermissionContext,
  access: AccessKind,
  resource: string,
  vars: PrincipalVars,
): T[] {
  for (const rule of rules) validatePermissionRule(rule);
  const request = classifyRequest(context, resource);
  if (request === null || (access !== 'read' && access !== 'write')) return [];
  const requestedLevels = request.mode === 'cover' ? request.value.split('/') : null;
  const granted: T[] = [];
  for (const rule of rules) {
    if (rule.context !== context || !operationGrants(rule.operation, access)) continue;
    const filter = context === 'mqtt' ? substitutePlaceholders(rule.resource, vars) : rule.resource;
    if (filter === null) continue;
    const grants =
      requestedLevels === null
        ? matches(filter, request.value)
        : coversLevels(filter.split('/'), requestedLevels, false);
    if (grants) granted.push(rule);
  }
  return granted;
}

/**
 * Does holding `held` entitle a caller to hand out `wanted`? (SPEC 2.2, no privilege escalation.)
 *
 * True iff for each access kind `wanted.operation` implies, some held rule of the same context that
 * grants that access covers `wanted.resource` (SPEC 1.4.3 coverage). Rules are compared as templates,
 * before substitution: a `${username}` / `${clientId}` level in `wanted` stands for an unknown concrete
 * level, covered only by a held `+`, `#` or the identical placeholder level (so `devices/${username}/#`
 * held covers `devices/${username}/#` wanted, and `#` covers `${clientId}/#`); a held placeholder level
 * covers nothing else. Coverage is checked per access kind, so `readWrite` may be covered by one `read`
 * and one `write` rule. Invalid held rules are ignored (they grant nothing).
 *
 * @throws RbacError when `wanted` is invalid (validate it first to answer 400)
 */
export function ruleCoveredBy(wanted: PermissionRule, held: readonly PermissionRule[]): boolean {
  validatePermissionRule(wanted);
  const wantedLevels = wanted.resource.split('/');
  for (const access of accessKindsOf(wanted.operation)) {
    let covered = false;
    for (const rule of held) {
      if (rule.context !== wanted.context || !operationGrants(rule.operation, access)) continue;
      if (!isValid(rule)) continue;
      if (coversLevels(rule.resource.split('/'), wantedLevels, true)) {
        covered = true;
        break;
      }
    }
    if (!covered) return false;
  }
  return true;
}

function isValid(rule: PermissionRule): boolean {
  try {
    validatePermissionRule(rule);
    return true;
  } catch {
    return false;
  }
}
