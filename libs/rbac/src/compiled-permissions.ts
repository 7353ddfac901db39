import { httpAccessForMethod } from './http-access';
import { checkMqttFilter, isPlainTopic, validatePermissionRule } from './pattern-validation';
import { ANY_MASK, PermissionTrie } from './permission-trie';
import type { AccessKind, PermissionContext, PermissionRule, PrincipalVars } from './permission.types';
import { substituteDenyPlaceholders, substitutePlaceholders } from './placeholders';
import { publishKind, publishKindsAdmitted } from './publish-limits';
import { classifyRequest } from './request-resource';

/** Why a PUBLISH is refused ({@link CompiledPermissions.publishRefusal}). */
export type PublishRefusal = 'invalid' | 'denied' | 'no-allow' | 'limits';

/**
 * One principal's effective permissions, compiled once for synchronous checks on the hot path (every
 * PUBLISH, SUBSCRIBE, delivery and HTTP request). SPEC 1.4, SPEC 3. The MQTT checks allocate nothing;
 * none of them throws, whatever the input (anything malformed is denied).
 *
 * Four tries of allows over levels (mqtt-read, mqtt-write, http-read, http-write); a check walks one of
 * them, so its cost does not grow with the number of rules. Denies (SPEC 1.4.6) go into a small deny
 * trie beside each allow trie; a trie holding denies walks the allows as before and asks the denies
 * only when the allow it found may be refused ({@link PermissionTrie.decideTopic}, ADR 0019); one
 * without pays a boolean test.
 * A PUBLISH is matched against the write allows that admit its (QoS, retain) pair (SPEC 1.4.7), kept as
 * a bit mask per filter, so limits cost nothing either.
 *
 * Placeholders are substituted at compile time with the principal's values. In an allow, a value that is
 * missing, empty, contains `+`, `#`, `/` or NUL, or starts with `$` in the first level makes that rule
 * match nothing (fail closed); in a deny, such a value blocks everything below the levels before it
 * ({@link substituteDenyPlaceholders}), so a deny never blocks less because of the value.
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

  /** How many of the rules compiled are denies. */
  readonly denyRuleCount: number;

  private constructor(
    private readonly mqttRead: PermissionTrie,
    private readonly mqttWrite: PermissionTrie,
    private readonly httpRead: PermissionTrie,
    private readonly httpWrite: PermissionTrie,
    counts: { rules: number; inactive: number; denies: number },
  ) {
    this.ruleCount = counts.rules;
    this.inactiveRuleCount = counts.inactive;
    this.denyRuleCount = counts.denies;
    this.mqttReadDenies = mqttRead.denyCount > 0;
    this.mqttWriteDenies = mqttWrite.denyCount > 0;
    this.httpReadDenies = httpRead.denyCount > 0;
    this.httpWriteDenies = httpWrite.denyCount > 0;
  }

  /** Whether the trie holds denies (the usual case, false: the check is the allow walk alone). */
  private readonly mqttReadDenies: boolean;
  private readonly mqttWriteDenies: boolean;
  private readonly httpReadDenies: boolean;
  private readonly httpWriteDenies: boolean;

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
    let denyCount = 0;
    for (const rule of rules) validatePermissionRule(rule);
    // denies first: an allow that no deny intersects is marked clean (PermissionTrie.insert)
    for (const rule of rules) {
      if (rule.effect !== 'deny') continue;
      denyCount++;
      const filter =
        rule.context === 'mqtt' ? substituteDenyPlaceholders(rule.resource, vars) : rule.resource;
      const byAccess = tries[rule.context];
      if (rule.operation !== 'write') byAccess.read.insertDeny(filter);
      if (rule.operation !== 'read') byAccess.write.insertDeny(filter);
    }
    for (const rule of rules) {
      if (rule.effect === 'deny') continue;
      const filter = rule.context === 'mqtt' ? substitutePlaceholders(rule.resource, vars) : rule.resource;
      if (filter === null) {
        inactive++;
        continue;
      }
      const byAccess = tries[rule.context];
      if (rule.operation !== 'write') byAccess.read.insert(filter);
      if (rule.operation !== 'read') byAccess.write.insert(filter, publishKindsAdmitted(rule));
    }
    return new CompiledPermissions(tries.mqtt.read, tries.mqtt.write, tries.http.read, tries.http.write, {
      rules: rules.length,
      inactive,
      denies: denyCount,
    });
  }

  /**
   * PUBLISH (SPEC 1.4.2, 1.4.6, 1.4.7): does some `mqtt` write allow that admits `qos` and `retain`
   * match `topic`, and no write deny match it? Apply `mqttPublishPrefix` before calling. Denies a topic
   * that is empty or contains `+`, `#` or NUL [MQTT-4.7.1-1], and a QoS other than 0, 1, 2.
   *
   * @param qos - the packet's QoS (default 0: what every write allow admits)
   * @param retain - the packet's retain flag (default false)
   */
  canPublish(topic: string, qos: number = 0, retain: boolean = false): boolean {
    const want = publishKind(qos, retain);
    if (want === 0 || !isPlainTopic(topic)) return false;
    return this.mqttWriteDenies
      ? this.mqttWrite.decideTopic(topic, want)
      : this.mqttWrite.matchTopic(topic, want);
  }

  /**
   * Why {@link canPublish} refuses (for logs and the dry run; not for the hot path), or `null` when it
   * allows. A deny is named before a missing allow.
   */
  publishRefusal(topic: string, qos: number = 0, retain: boolean = false): PublishRefusal | null {
    const want = publishKind(qos, retain);
    if (want === 0 || !isPlainTopic(topic)) return 'invalid';
    if (this.mqttWriteDenies && this.mqttWrite.denyMatches(topic)) return 'denied';
    if (!this.mqttWrite.matchTopic(topic)) return 'no-allow';
    return this.mqttWrite.matchTopic(topic, want) ? null : 'limits';
  }

  /**
   * Delivery to a subscriber (SPEC 1.4.4, aedes `authorizeForward`): does some `mqtt` read allow match
   * `topic` and no read deny match it (SPEC 1.4.6)? Same input rules as {@link canPublish}.
   */
  canReceive(topic: string): boolean {
    if (!isPlainTopic(topic)) return false;
    return this.mqttReadDenies ? this.mqttRead.decideTopic(topic) : this.mqttRead.matchTopic(topic);
  }

  /**
   * SUBSCRIBE (SPEC 1.4.3, 1.4.6): does some `mqtt` read allow cover `filter`, i.e. match every topic the
   * filter can match, and no read deny cover it? A filter a deny only overlaps (`plant/#` with
   * `plant/secret/#` denied) is allowed; {@link canReceive} then drops the denied deliveries. Denies an
   * invalid filter.
   */
  canSubscribe(filter: string): boolean {
    return (
      checkMqttFilter(filter, null) === null &&
      (this.mqttReadDenies ? this.mqttRead.decideFilter(filter) : this.mqttRead.coverFilter(filter))
    );
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
    const trie = access === 'read' ? this.httpRead : this.httpWrite;
    return (access === 'read' ? this.httpReadDenies : this.httpWriteDenies)
      ? trie.decideTopic(p)
      : trie.matchTopic(p);
  }

  /**
   * Generic check, as the dry-run API asks it. `resource` is:
   * - a concrete topic (mqtt, no `+`/`#`) or path (http, no whole `+`/`#` level; query stripped):
   *   granted iff some permission matches it;
   * - a pattern with `+`/`#` levels: granted iff some permission covers it (every topic or path it can
   *   match), so `allows('mqtt', 'read', f)` equals {@link canSubscribe}(f);
   * - anything invalid: denied.
   * A deny decides as in SPEC 1.4.6: one that matches the topic or path, or covers the pattern, refuses.
   * With `publish` (mqtt write), only allows that admit its QoS and retain flag count (SPEC 1.4.7).
   */
  allows(
    context: PermissionContext,
    access: AccessKind,
    resource: string,
    publish?: { readonly qos?: number; readonly retain?: boolean },
  ): boolean {
    if (access !== 'read' && access !== 'write') return false;
    const want =
      publish !== undefined && context === 'mqtt' && access === 'write'
        ? publishKind(publish.qos ?? 0, publish.retain ?? false)
        : ANY_MASK;
    if (want === 0) return false;
    const request = classifyRequest(context, resource);
    if (request === null) return false;
    const trie = this.trieFor(context, access);
    if (request.mode === 'match') return trie.decideTopic(request.value, want);
    return trie.decideFilter(request.value, want);
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
