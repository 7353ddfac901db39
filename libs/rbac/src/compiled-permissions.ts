import { httpAccessForMethod } from './http-access';
import { checkMqttFilter, isPlainTopic, validatePermissionRule } from './pattern-validation';
import { PermissionTrie } from './permission-trie';
import type { AccessKind, PermissionContext, PermissionRule, PrincipalVars } from './permission.types';
import { substitutePlaceholders } from './placeholders';
import { classifyRequest } from './request-resource';

/**
 * One principal's effective permissions, compiled once for synchronous checks on the hot path (every
 * PUBLISH, SUBSCRIBE, delivery and HTTP request). SPEC 1.4, SPEC 3. The MQTT checks allocate nothing;
 * none of them throws, whatever the input (anything malformed is denied).
 *
 * Four tries over levels (mqtt-read, mqtt-write, http-read, http-write); a check walks one of them, so
 * its cost does not grow with the number of rules. Placeholders are substituted at compile time with
 * the principal's values; a value that is missing, empty, contains `+`, `#`, `/` or NUL, or starts with
 * `$` in the first level makes that rule match nothing (fail closed).
 *
 * Immutable: when permissions change, compile again and swap the reference.
 *
 * @example
 * const perms = CompiledPermissions.compile(
 *   [{ context: 'mqtt', resource: 'devices/${username}/#', operation: 'readWrite' }],
 *   { username: 'dev1' },
 * );
 * perms.canPublish('devices/dev1/temp'); // true
 * perms.canPublish('devices/dev2/temp'); // false
 */
export class CompiledPermissions {
  /** Number of rules compiled (as given, duplicates included). */
  readonly ruleCount: number;
  /** How many of those match nothing for this principal because a placeholder value failed closed. */
  readonly inactiveRuleCount: number;

  private constructor(
    private readonly mqttRead: PermissionTrie,
    private readonly mqttWrite: PermissionTrie,
    private readonly httpRead: PermissionTrie,
    private readonly httpWrite: PermissionTrie,
    ruleCount: number,
    inactiveRuleCount: number,
  ) {
    this.ruleCount = ruleCount;
    this.inactiveRuleCount = inactiveRuleCount;
  }

  /**
   * Compiles effective permissions (direct ∪ roles; duplicates are harmless) for one principal.
   *
   * @param vars - the values for `${username}` and `${clientId}`
   * @throws RbacError `RBAC.INVALID_PATTERN` / `RBAC.INVALID_RULE` when a rule is invalid: stored rules
   *   were validated on write, so this signals corrupt data and denies the whole principal (fail closed)
   */
  static compile(rules: readonly PermissionRule[], vars: PrincipalVars): CompiledPermissions {
    const tries = {
      mqtt: { read: new PermissionTrie(), write: new PermissionTrie() },
      http: { read: new PermissionTrie(), write: new PermissionTrie() },
    };
    let inactive = 0;
    for (const rule of rules) {
      validatePermissionRule(rule);
      const filter = rule.context === 'mqtt' ? substitutePlaceholders(rule.resource, vars) : rule.resource;
      if (filter === null) {
        inactive++;
        continue;
      }
      const byAccess = tries[rule.context];
      if (rule.operation !== 'write') byAccess.read.insert(filter);
      if (rule.operation !== 'read') byAccess.write.insert(filter);
    }
    return new CompiledPermissions(
      tries.mqtt.read,
      tries.mqtt.write,
      tries.http.read,
      tries.http.write,
      rules.length,
      inactive,
    );
  }

  /**
   * PUBLISH (SPEC 1.4.2): does some `mqtt` write permission match `topic`? Apply `mqttPublishPrefix`
   * before calling. Denies a topic that is empty or contains `+`, `#` or NUL [MQTT-4.7.1-1].
   */
  canPublish(topic: string): boolean {
    return isPlainTopic(topic) && this.mqttWrite.matchTopic(topic);
  }

  /**
   * Delivery to a subscriber (SPEC 1.4.4, aedes `authorizeForward`): does some `mqtt` read permission
   * match `topic`? Same input rules as {@link canPublish}.
   */
  canReceive(topic: string): boolean {
    return isPlainTopic(topic) && this.mqttRead.matchTopic(topic);
  }

  /**
   * SUBSCRIBE (SPEC 1.4.3): does some `mqtt` read permission cover `filter`, i.e. match every topic the
   * filter can match? Denies an invalid filter.
   */
  canSubscribe(filter: string): boolean {
    return checkMqttFilter(filter, null) === null && this.mqttRead.coverFilter(filter);
  }

  /**
   * An HTTP request (SPEC 1.4.5): the method gives the access ({@link httpAccessForMethod}; unknown → deny),
   * the query string is stripped, and the path (which must start with `/`) is matched like a topic
   * against `http` permissions. `/api/users/#` matches `/api/users` and `/api/users/1`; a trailing slash
   * is a distinct empty level, so `/api/users/+` matches `/api/users/` too. No other normalization:
   * pass the path exactly as the router sees it. `+`/`#` characters in the path are plain data.
   */
  canHttp(method: string, path: string): boolean {
    const access = httpAccessForMethod(method);
    return access !== null && this.canHttpAccess(access, path);
  }

  /**
   * {@link canHttp} with the access kind already known.
   */
  canHttpAccess(access: AccessKind, path: string): boolean {
    if (typeof path !== 'string') return false;
    const q = path.indexOf('?');
    const p = q === -1 ? path : path.slice(0, q);
    if (p.charCodeAt(0) !== 47 /* / */) return false;
    return (access === 'read' ? this.httpRead : this.httpWrite).matchTopic(p);
  }

  /**
   * Generic check, as the dry-run API asks it. `resource` is:
   * - a concrete topic (mqtt, no `+`/`#`) or path (http, no whole `+`/`#` level; query stripped):
   *   granted iff some permission matches it;
   * - a pattern with `+`/`#` levels: granted iff some permission covers it (every topic or path it can
   *   match), so `allows('mqtt', 'read', f)` equals {@link canSubscribe}(f);
   * - anything invalid: denied.
   */
  allows(context: PermissionContext, access: AccessKind, resource: string): boolean {
    if (access !== 'read' && access !== 'write') return false;
    if (context === 'mqtt' && typeof resource === 'string') {
      // the mqtt half of classifyRequest, without allocating
      const trie = access === 'read' ? this.mqttRead : this.mqttWrite;
      if (isPlainTopic(resource)) return trie.matchTopic(resource);
      return checkMqttFilter(resource, null) === null && trie.coverFilter(resource);
    }
    const request = classifyRequest(context, resource);
    if (request === null) return false;
    const trie = this.trieFor(context, access);
    return request.mode === 'match' ? trie.matchTopic(request.value) : trie.coverFilter(request.value);
  }

  /**
   * Whether any rule grants `access` in `context` at all (for coarse checks such as "may this principal
   * use the HTTP API").
   */
  hasAny(context: PermissionContext, access: AccessKind): boolean {
    return this.trieFor(context, access).filterCount > 0;
  }

  private trieFor(context: PermissionContext, access: AccessKind): PermissionTrie {
    if (context === 'mqtt') return access === 'read' ? this.mqttRead : this.mqttWrite;
    return access === 'read' ? this.httpRead : this.httpWrite;
  }
}
