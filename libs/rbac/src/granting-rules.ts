import { validatePermissionRule } from './pattern-validation';
import {
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
        : coversLevels(filter.split('/'), requestedLevels);
    if (grants) granted.push(rule);
  }
  return granted;
}
