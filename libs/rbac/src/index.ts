/**
 * `@gatehouse/rbac`: the permission vocabulary, topic/path pattern validation, the matching rules of
 * SPEC 1.4 (match, cover), allow and deny rules with QoS/retain limits, the compiled per-principal matcher used on the hot paths (broker hooks and
 * the HTTP guard), and the no-escalation rule. Depends on no other Gatehouse lib.
 */
export {
  ACCESS_KINDS,
  PERMISSION_CONTEXTS,
  PERMISSION_EFFECTS,
  PERMISSION_OPERATIONS,
  accessKindsOf,
  isDeny,
  operationGrants,
  type AccessKind,
  type MqttQos,
  type PermissionContext,
  type PermissionEffect,
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
  substituteDenyPlaceholders,
  substitutePlaceholders,
} from './placeholders';
export { covers, matches } from './topic-matching';
export { httpAccessForMethod, stripQuery } from './http-access';
export { CompiledPermissions, type PublishRefusal } from './compiled-permissions';
export { denyingRules, grantingRules } from './granting-rules';
export {
  ANY_USER,
  GrantorAccess,
  ruleCoveredBy,
  type Escalation,
  type GrantChange,
  type Grantee,
} from './no-escalation';
