/**
 * Obviously-correct reference implementations of SPEC 1.4, for property tests only. Written from the
 * spec text, sharing no code with the library: split into arrays, recurse, compare.
 */
import type { AccessKind, PermissionRule, PrincipalVars } from '../permission.types';

/** SPEC 1.4.1 on level arrays, recursively. */
function matchLevels(filter: readonly string[], topic: readonly string[]): boolean {
  if (filter.length === 0) return topic.length === 0;
  const [head, ...rest] = filter;
  if (head === '#') return true; // the parent level (already matched) and any number of further levels
  if (topic.length === 0) return false;
  if (head === '+' || head === topic[0]) return matchLevels(rest, topic.slice(1));
  return false;
}

/** SPEC 1.4.1: does `filter` match `topic`, with the `$` rule [MQTT-4.7.2-1]. */
export function refMatches(filter: string, topic: string): boolean {
  return refMatchesLevels(filter.split('/'), topic.split('/'));
}

/** {@link refMatches} on level arrays. */
export function refMatchesLevels(f: readonly string[], t: readonly string[]): boolean {
  if (t[0].startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  return matchLevels(f, t);
}

/** The value a placeholder level stands for, or the level itself when it is none. */
function refValue(level: string, vars: PrincipalVars): { value: string | undefined } | null {
  if (level === '${username}') return { value: vars.username };
  if (level === '${clientId}') return { value: vars.clientId };
  return null;
}

/** SPEC 1.1: a value that makes an allow match nothing (and cuts a deny short). */
function refUnusable(value: string | undefined): boolean {
  return value === undefined || value === '' || ['+', '#', '/', '\u0000'].some((c) => value.includes(c));
}

/** SPEC 1.1 placeholders: substitute, or `null` when the value fails closed. */
export function refSubstitute(resource: string, vars: PrincipalVars): string | null {
  const out: string[] = [];
  const levels = resource.split('/');
  for (let i = 0; i < levels.length; i++) {
    const placeholder = refValue(levels[i], vars);
    if (placeholder === null) out.push(levels[i]);
    else if (refUnusable(placeholder.value) || (i === 0 && placeholder.value!.startsWith('$'))) return null;
    else out.push(placeholder.value!);
  }
  return out.join('/');
}

/**
 * SPEC 1.4.6 placeholders in a deny: substituted like an allow's, but a value that fails closed makes
 * the deny block everything under the levels before it (its level becomes `#`, the rest is dropped);
 * a `$` value is kept as it is.
 */
export function refSubstituteDeny(resource: string, vars: PrincipalVars): string {
  const out: string[] = [];
  for (const level of resource.split('/')) {
    const placeholder = refValue(level, vars);
    if (placeholder === null) out.push(level);
    else if (refUnusable(placeholder.value)) return [...out, '#'].join('/');
    else out.push(placeholder.value!);
  }
  return out.join('/');
}

function grants(rule: PermissionRule, access: AccessKind): boolean {
  return rule.operation === 'readWrite' || rule.operation === access;
}

/** SPEC 1.4.7: does a write allow admit a PUBLISH with this QoS and retain flag? */
export function refAdmits(rule: PermissionRule, qos: number, retain: boolean): boolean {
  if (![0, 1, 2].includes(qos)) return false;
  return (rule.maxQos ?? 2) >= qos && !(retain && rule.retain === false);
}

/**
 * SPEC 1.4.2 / 1.4.4 / 1.4.6 / 1.4.7: some mqtt allow with `access` (for write: admitting `publish`)
 * matches the (valid) topic, and no mqtt deny with `access` matches it.
 */
export function refMqttAllows(
  rules: readonly PermissionRule[],
  vars: PrincipalVars,
  access: AccessKind,
  topic: string,
  publish: { qos: number; retain: boolean } = { qos: 0, retain: false },
): boolean {
  if (topic === '' || ['+', '#', '\u0000'].some((c) => topic.includes(c))) return false;
  const mqtt = rules.filter((rule) => rule.context === 'mqtt' && grants(rule, access));
  const denied = mqtt.some(
    (rule) => rule.effect === 'deny' && refMatches(refSubstituteDeny(rule.resource, vars), topic),
  );
  if (denied) return false;
  return mqtt.some((rule) => {
    if (rule.effect === 'deny') return false;
    if (access === 'write' && !refAdmits(rule, publish.qos, publish.retain)) return false;
    const filter = refSubstitute(rule.resource, vars);
    return filter !== null && refMatches(filter, topic);
  });
}

const METHOD_ACCESS: Record<string, AccessKind> = {
  GET: 'read',
  HEAD: 'read',
  OPTIONS: 'read',
  POST: 'write',
  PUT: 'write',
  PATCH: 'write',
  DELETE: 'write',
};

/** SPEC 1.4.5: the path without its query matched against http rules for the method's access. */
export function refHttpAllows(rules: readonly PermissionRule[], method: string, target: string): boolean {
  const access = Object.prototype.hasOwnProperty.call(METHOD_ACCESS, method)
    ? METHOD_ACCESS[method]
    : undefined;
  if (access === undefined) return false;
  const path = target.split('?')[0];
  if (!path.startsWith('/')) return false;
  const hits = rules.filter(
    (rule) => rule.context === 'http' && grants(rule, access) && refMatches(rule.resource, path),
  );
  return hits.length > 0 && hits.every((rule) => rule.effect !== 'deny');
}

/**
 * SPEC 1.4.3 by brute force: `requested` is covered iff every topic of `universe` that it matches is
 * matched by `permission`. Exact when the universe holds, for every literal used by the filters, that
 * literal plus one fresh level and one fresh `$` level, at every length up to one more than the longest
 * filter (see the completeness test).
 */
export function refCoversIn(universe: readonly string[], permission: string, requested: string): boolean {
  return universe.every((t) => !refMatches(requested, t) || refMatches(permission, t));
}

/** Every topic with `minLevels..maxLevels` levels drawn from `levels`. */
export function topicUniverse(levels: readonly string[], maxLevels: number): string[] {
  const out: string[] = [];
  let layer: string[][] = [[]];
  for (let n = 1; n <= maxLevels; n++) {
    const next: string[][] = [];
    for (const prefix of layer) for (const level of levels) next.push([...prefix, level]);
    for (const t of next) out.push(t.join('/'));
    layer = next;
  }
  return out;
}
