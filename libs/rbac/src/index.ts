/**
 * `@gatehouse/rbac`: the permission vocabulary, topic/path pattern validation, the matching rules of
 * SPEC 1.4 (match, cover), the compiled per-principal matcher used on the hot paths (broker hooks and
 * the HTTP guard), and the no-escalation rule. Depends on no other Gatehouse lib.
 */
export {
  ACCESS_KINDS,
  PERMISSION_CONTEXTS,
  PERMISSION_OPERATIONS,
  accessKindsOf,
  operationGrants,
  type AccessKind,
  type PermissionContext,
  type PermissionOperation,
  type PermissionRule,
  type PrincipalVars,
} from './permission.types';
export { RbacError, type RbacErrorCode } from './rbac-error';
export {
  MAX_RESOURCE_BYTES,
  PATTERN_ERRORS,
  validatePermissionRule,
  validateTopicFilter,
  validateTopicName,
} from './pattern-validation';
export {
  CLIENT_ID_PLACEHOLDER,
  USERNAME_PLACEHOLDER,
  isPlaceholderLevel,
  substitutePlaceholders,
} from './placeholders';
export { covers, matches } from './topic-matching';
export { httpAccessForMethod, stripQuery } from './http-access';
export { CompiledPermissions } from './compiled-permissions';
export { grantingRules } from './granting-rules';
export { ANY_USER, GrantorAccess, ruleCoveredBy, type Grantee } from './no-escalation';
