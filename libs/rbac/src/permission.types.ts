/**
 * Where a permission applies: MQTT topics (`mqtt`) or admin HTTP paths (`http`). SPEC 1.1.
 */
export type PermissionContext = 'mqtt' | 'http';

/**
 * What a permission grants. `readWrite` grants both `read` and `write`. SPEC 1.1.
 */
export type PermissionOperation = 'read' | 'write' | 'readWrite';

/**
 * What a single authorization check asks for.
 * - `mqtt`: `read` = SUBSCRIBE and receiving deliveries, `write` = PUBLISH (incl. will and retained).
 * - `http`: `read` = GET, HEAD, OPTIONS; `write` = POST, PUT, PATCH, DELETE.
 */
export type AccessKind = 'read' | 'write';

/** Whether a permission grants (`allow`, the default) or blocks (`deny`, beats every allow). SPEC 1.4.6. */
export type PermissionEffect = 'allow' | 'deny';

/** MQTT QoS levels. */
export type MqttQos = 0 | 1 | 2;

/**
 * One permission as the matcher sees it (the persisted entity adds an id; this library does not care).
 *
 * `resource` is an MQTT topic filter for `mqtt` (optionally with `${username}` / `${clientId}`
 * levels) or a path pattern starting with `/` for `http`. See {@link validatePermissionRule}.
 */
export interface PermissionRule {
  readonly context: PermissionContext;
  readonly resource: string;
  readonly operation: PermissionOperation;
  /** `allow` when absent. A `deny` beats every allow (SPEC 1.4.6). */
  readonly effect?: PermissionEffect;
  /** mqtt allow with write only: the highest QoS it lets the principal publish with (SPEC 1.4.7). */
  readonly maxQos?: MqttQos;
  /** mqtt allow with write only: `false` refuses retained publishes (SPEC 1.4.7). */
  readonly retain?: boolean;
}

/** Whether `rule` is a deny (SPEC 1.4.6). */
export function isDeny(rule: PermissionRule): boolean {
  return rule.effect === 'deny';
}

/**
 * The principal's values substituted for placeholders in `mqtt` resources.
 * A missing or empty value, or one containing `+`, `#`, `/` or NUL, makes every rule that uses it
 * match nothing (fail closed). So does a value starting with `$` that would land in the first level.
 */
export interface PrincipalVars {
  readonly username: string;
  readonly clientId?: string;
}

/** Every context, in a stable order. */
export const PERMISSION_CONTEXTS: readonly PermissionContext[] = ['mqtt', 'http'];

/** Every effect, in a stable order. */
export const PERMISSION_EFFECTS: readonly PermissionEffect[] = ['allow', 'deny'];

/** Every operation, in a stable order. */
export const PERMISSION_OPERATIONS: readonly PermissionOperation[] = ['read', 'write', 'readWrite'];

/** Both access kinds, in a stable order. */
export const ACCESS_KINDS: readonly AccessKind[] = ['read', 'write'];

/**
 * Whether a permission with `operation` grants `access`.
 *
 * @example operationGrants('readWrite', 'write') === true
 */
export function operationGrants(operation: PermissionOperation, access: AccessKind): boolean {
  return operation === 'readWrite' || operation === access;
}

/**
 * The access kinds an operation implies (`readWrite` → `['read', 'write']`).
 */
export function accessKindsOf(operation: PermissionOperation): readonly AccessKind[] {
  switch (operation) {
    case 'read':
      return READ_ONLY;
    case 'write':
      return WRITE_ONLY;
    case 'readWrite':
      return ACCESS_KINDS;
  }
}

const READ_ONLY: readonly AccessKind[] = ['read'];
const WRITE_ONLY: readonly AccessKind[] = ['write'];
