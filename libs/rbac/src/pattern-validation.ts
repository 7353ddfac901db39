import type { PermissionRule } from './permission.types';
import { RbacError } from './rbac-error';
import { isPlaceholderLevel } from './placeholders';

/** Largest MQTT string: a 2-byte length prefix (MQTT 3.1.1 §1.5.3). */
export const MAX_RESOURCE_BYTES = 65535;

const SLASH = 47;

/** Messages naming the rule broken. Exported for tests and for the API's documentation. */
export const PATTERN_ERRORS = {
  notString: (noun: string): string => `${noun} must be a string`,
  empty: (noun: string): string => `${noun} must not be empty`,
  nul: (noun: string): string => `${noun} must not contain NUL`,
  surrogate: (noun: string): string => `${noun} must be well-formed Unicode (no unpaired surrogates)`,
  tooLong: (noun: string): string => `${noun} exceeds ${MAX_RESOURCE_BYTES} UTF-8 bytes`,
  hashNotLast: "'#' must be the last level",
  wildcardNotWholeLevel: "'+' and '#' must occupy a whole level",
  httpLeadingSlash: "http resource must start with '/'",
  httpQuery: "http resource must not contain '?': query strings are never part of the match",
  placeholderPlacement:
    'placeholders are only allowed in mqtt resources and must be a whole level: ${username} or ${clientId}',
  unknownPlaceholder: (level: string): string =>
    `unknown placeholder '${level}': only \${username} and \${clientId} are supported`,
  topicNameWildcard: "topic name must not contain '+' or '#'",
  context: "context must be 'mqtt' or 'http'",
  operation: "operation must be 'read', 'write' or 'readWrite'",
  effect: "effect must be 'allow' or 'deny'",
  maxQos: 'maxQos must be 0, 1 or 2',
  retain: 'retain must be a boolean',
  limitsPlacement: 'maxQos and retain are only allowed on an mqtt allow with write or readWrite (SPEC 1.4.7)',
} as const;

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const PLACEHOLDER_SHAPE = /^\$\{[^}]*\}$/;

/**
 * Checks shared by every kind of pattern: a non-empty string, no NUL, well-formed, ≤ 65535 UTF-8 bytes.
 * @returns the message of the first rule broken, or `null`
 */
function checkString(value: unknown, noun: string): string | null {
  if (typeof value !== 'string') return PATTERN_ERRORS.notString(noun);
  if (value.length === 0) return PATTERN_ERRORS.empty(noun);
  if (value.indexOf('\u0000') !== -1) return PATTERN_ERRORS.nul(noun);
  if (UNPAIRED_SURROGATE.test(value)) return PATTERN_ERRORS.surrogate(noun);
  // Each UTF-16 code unit is at most 3 UTF-8 bytes, so only long strings need counting.
  if (value.length * 3 > MAX_RESOURCE_BYTES && Buffer.byteLength(value, 'utf8') > MAX_RESOURCE_BYTES) {
    return PATTERN_ERRORS.tooLong(noun);
  }
  return null;
}

/** Whether the character at `i` is a whole level by itself. */
function isWholeLevel(value: string, i: number): boolean {
  return (
    (i === 0 || value.charCodeAt(i - 1) === SLASH) &&
    (i + 1 === value.length || value.charCodeAt(i + 1) === SLASH)
  );
}

/**
 * Level structure of a topic filter or path pattern: `+` and `#` are whole levels, `#` is last.
 * With `placeholders`, `${username}` / `${clientId}` levels are allowed and any other `${` is refused;
 * with `placeholders === false` a `${` is refused as misplaced (http); with `null` it is a plain literal
 * (a client's SUBSCRIBE filter). Wildcard rules are checked before placeholder rules.
 * Uses `indexOf` only: this runs on every SUBSCRIBE.
 */
function checkLevels(value: string, placeholders: boolean | null): string | null {
  for (let i = value.indexOf('+'); i !== -1; i = value.indexOf('+', i + 1)) {
    if (!isWholeLevel(value, i)) return PATTERN_ERRORS.wildcardNotWholeLevel;
  }
  const hash = value.indexOf('#'); // if the first '#' is a whole last level, there is no other
  if (hash !== -1) {
    if (!isWholeLevel(value, hash)) return PATTERN_ERRORS.wildcardNotWholeLevel;
    if (hash !== value.length - 1) return PATTERN_ERRORS.hashNotLast;
  }
  if (placeholders === null) return null;
  for (let i = value.indexOf('${'); i !== -1; i = value.indexOf('${', i + 2)) {
    if (placeholders === false) return PATTERN_ERRORS.placeholderPlacement;
    const start = value.lastIndexOf('/', i) + 1;
    let end = value.indexOf('/', i);
    if (end === -1) end = value.length;
    const level = value.slice(start, end);
    if (!isPlaceholderLevel(level)) {
      return PLACEHOLDER_SHAPE.test(level)
        ? PATTERN_ERRORS.unknownPlaceholder(level)
        : PATTERN_ERRORS.placeholderPlacement;
    }
  }
  return null;
}

/**
 * Validates an `mqtt` permission resource or a client's topic filter without throwing.
 * @param placeholders - `true` for permission resources (placeholders allowed), `null` for client filters
 * @returns the message of the first rule broken, or `null` when valid
 * @internal
 */
export function checkMqttFilter(value: unknown, placeholders: true | null, noun = 'resource'): string | null {
  const err = checkString(value, noun);
  if (err !== null) return err;
  return checkLevels(value as string, placeholders);
}

/**
 * Validates an `http` permission resource without throwing.
 * @returns the message of the first rule broken, or `null` when valid
 * @internal
 */
export function checkHttpPattern(value: unknown): string | null {
  const err = checkString(value, 'resource');
  if (err !== null) return err;
  const s = value as string;
  if (s.charCodeAt(0) !== SLASH) return PATTERN_ERRORS.httpLeadingSlash;
  if (s.indexOf('?') !== -1) return PATTERN_ERRORS.httpQuery;
  return checkLevels(s, false);
}

/**
 * Validates an MQTT topic name (PUBLISH) without throwing.
 * @returns the message of the first rule broken, or `null` when valid
 * @internal
 */
export function checkTopicName(value: unknown): string | null {
  const err = checkString(value, 'topic name');
  if (err !== null) return err;
  const s = value as string;
  if (s.indexOf('+') !== -1 || s.indexOf('#') !== -1) return PATTERN_ERRORS.topicNameWildcard; // [MQTT-4.7.1-1]
  return null;
}

/**
 * Cheap hot-path check for a topic a client publishes or receives: a non-empty string without `+`, `#`
 * or NUL.
 * (Length is bounded by the wire format.)
 * @internal
 */
export function isPlainTopic(topic: string): boolean {
  return (
    typeof topic === 'string' &&
    topic.length !== 0 &&
    topic.indexOf('+') === -1 &&
    topic.indexOf('#') === -1 &&
    topic.indexOf('\u0000') === -1
  );
}

/**
 * Validates a permission as SPEC 1.1 defines it.
 *
 * - `context` is `mqtt` or `http`; `operation` is `read`, `write` or `readWrite` (`RBAC.INVALID_RULE`).
 * - `resource`: 1..65535 UTF-8 bytes, no NUL, well-formed Unicode; `+` and `#` each a whole level, `#` last.
 * - `mqtt` resources may use `${username}` and `${clientId}` as whole levels (`devices/${username}/#`);
 *   any other `${…}` is refused, so a literal level containing `${` cannot be expressed.
 * - `http` resources start with `/`, contain no `?` and no placeholders.
 * - `effect` is `allow` (default) or `deny`; `maxQos` / `retain` only on an mqtt allow with write
 *   (`RBAC.INVALID_RULE`, SPEC 1.4.7).
 *
 * @throws RbacError `RBAC.INVALID_PATTERN` (or `RBAC.INVALID_RULE`) whose message names the rule broken,
 *   e.g. `'#' must be the last level`.
 */
export function validatePermissionRule(rule: PermissionRule): void {
  if (rule === null || typeof rule !== 'object') {
    throw new RbacError('RBAC.INVALID_RULE', 'permission must be an object');
  }
  let err: string | null;
  switch (rule.context) {
    case 'mqtt':
      err = checkMqttFilter(rule.resource, true);
      break;
    case 'http':
      err = checkHttpPattern(rule.resource);
      break;
    default:
      throw new RbacError('RBAC.INVALID_RULE', PATTERN_ERRORS.context);
  }
  if (err !== null) throw new RbacError('RBAC.INVALID_PATTERN', err);
  if (rule.operation !== 'read' && rule.operation !== 'write' && rule.operation !== 'readWrite') {
    throw new RbacError('RBAC.INVALID_RULE', PATTERN_ERRORS.operation);
  }
  const limitsError = checkEffectAndLimits(rule);
  if (limitsError !== null) throw new RbacError('RBAC.INVALID_RULE', limitsError);
}

/**
 * SPEC 1.1: `effect` is `allow` (or absent) or `deny`; `maxQos` (0, 1 or 2) and `retain` (a boolean)
 * only on an `mqtt` allow whose operation includes write. (`null` counts as absent: stored rows use it.)
 * @returns the message of the first rule broken, or `null`
 * @internal
 */
export function checkEffectAndLimits(rule: PermissionRule): string | null {
  const { effect, maxQos, retain } = rule as { effect?: unknown; maxQos?: unknown; retain?: unknown };
  if (effect !== undefined && effect !== null && effect !== 'allow' && effect !== 'deny') {
    return PATTERN_ERRORS.effect;
  }
  const hasQos = maxQos !== undefined && maxQos !== null;
  const hasRetain = retain !== undefined && retain !== null;
  if (hasQos && maxQos !== 0 && maxQos !== 1 && maxQos !== 2) return PATTERN_ERRORS.maxQos;
  if (hasRetain && typeof retain !== 'boolean') return PATTERN_ERRORS.retain;
  if ((hasQos || hasRetain) && (rule.context !== 'mqtt' || effect === 'deny' || rule.operation === 'read')) {
    return PATTERN_ERRORS.limitsPlacement;
  }
  return null;
}

/**
 * Validates a topic filter as a client sends it in SUBSCRIBE (MQTT 3.1.1 §4.7): non-empty [MQTT-4.7.3-1],
 * no NUL [MQTT-4.7.3-2], ≤ 65535 UTF-8 bytes, `+` a whole level [MQTT-4.7.1-3], `#` a whole level and
 * last [MQTT-4.7.1-2]. Placeholders mean nothing here: `${username}` is a literal level.
 *
 * @throws RbacError `RBAC.INVALID_PATTERN`
 */
export function validateTopicFilter(filter: string): void {
  const err = checkMqttFilter(filter, null, 'topic filter');
  if (err !== null) throw new RbacError('RBAC.INVALID_PATTERN', err);
}

/**
 * Validates a topic name as a client sends it in PUBLISH: non-empty, no NUL, ≤ 65535 UTF-8 bytes and
 * no wildcard characters at all [MQTT-4.7.1-1] [MQTT-3.3.2-2].
 *
 * @throws RbacError `RBAC.INVALID_PATTERN`
 */
export function validateTopicName(topic: string): void {
  const err = checkTopicName(topic);
  if (err !== null) throw new RbacError('RBAC.INVALID_PATTERN', err);
}
