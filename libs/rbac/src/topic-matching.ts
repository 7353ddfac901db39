import { checkMqttFilter } from './pattern-validation';

const SLASH = 47;
const PLUS = 43;
const HASH = 35;
const DOLLAR = 36;

/**
 * Whether the first level of a filter is `+` or `#` (such a filter never matches a `$` topic).
 * @internal
 */
export function firstLevelIsWildcard(filter: string): boolean {
  const c = filter.charCodeAt(0);
  return (c === PLUS || c === HASH) && (filter.length === 1 || filter.charCodeAt(1) === SLASH);
}

/**
 * Does `filter` match `topic`? SPEC 1.4.1, MQTT 3.1.1 §4.7:
 *
 * - levels are split on `/` (an empty string between two slashes, or at either end, is an empty level);
 * - `+` matches exactly one level, including an empty one;
 * - `#` matches its parent level and any number of further levels: `a/#` matches `a`, `a/`, `a/b/c`;
 *   `#` alone matches every topic;
 * - other levels must be equal (case-sensitive, byte for byte);
 * - a filter whose first level is `+` or `#` does not match a topic starting with `$` [MQTT-4.7.2-1].
 *
 * This agrees with the aedes router (qlobber with `match_empty_levels`) plus aedes's `$` rule.
 * Inputs are not validated (see {@link validateTopicFilter}); `+` or `#` characters in `topic` are
 * compared as ordinary data. Allocation-free.
 */
export function matches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === DOLLAR && firstLevelIsWildcard(filter)) return false;
  const fLen = filter.length;
  const tLen = topic.length;
  let fi = 0;
  let ti = 0; // -1 once every topic level is consumed
  for (;;) {
    let fe = filter.indexOf('/', fi);
    if (fe === -1) fe = fLen;
    const levelLen = fe - fi;
    if (levelLen === 1 && filter.charCodeAt(fi) === HASH) return true; // parent level and any below
    if (ti === -1) return false; // the filter wants a level the topic does not have
    let te = topic.indexOf('/', ti);
    if (te === -1) te = tLen;
    if (!(levelLen === 1 && filter.charCodeAt(fi) === PLUS)) {
      if (te - ti !== levelLen) return false;
      for (let k = 0; k < levelLen; k++) {
        if (filter.charCodeAt(fi + k) !== topic.charCodeAt(ti + k)) return false;
      }
    }
    const tNext = te === tLen ? -1 : te + 1;
    if (fe === fLen) return tNext === -1;
    fi = fe + 1;
    ti = tNext;
  }
}

/**
 * Does `permissionFilter` cover `requestedFilter`: is every topic that `requestedFilter` can match also
 * matched by `permissionFilter`? SPEC 1.4.3 (used to authorize SUBSCRIBE).
 *
 * Exact (sound and complete) for valid filters, including the `$` rule:
 * - `factory/+/temp` covers `factory/l1/temp` and `factory/+/temp`, not `factory/#`;
 * - `a/#` covers `a`, `a/#`, `a/+/b`; `a/+` does not cover `a/#` (which also matches `a` and `a/b/c`);
 * - `#` covers `+/a` and `#`, but not `$SYS/#` (`#` never matches a `$` topic); `$SYS/#` covers `$SYS/#`;
 * - `+/#` covers `#` (both match every topic not starting with `$`).
 *
 * @returns `false` when either argument is not a valid topic filter
 */
export function covers(permissionFilter: string, requestedFilter: string): boolean {
  if (checkMqttFilter(permissionFilter, null) !== null || checkMqttFilter(requestedFilter, null) !== null) {
    return false;
  }
  return coversLevels(permissionFilter.split('/'), requestedFilter.split('/'));
}

/**
 * {@link covers} over level arrays of valid filters (placeholders already substituted).
 * @internal
 */
export function coversLevels(permission: readonly string[], requested: readonly string[]): boolean {
  // A lone '#' matches exactly what '+/#' matches (every topic has at least one level, the '$' rule is
  // the same), so normalize it: then a '#' never stands in the first level.
  const p = permission.length === 1 && permission[0] === '#' ? PLUS_HASH : permission;
  const f = requested.length === 1 && requested[0] === '#' ? PLUS_HASH : requested;
  const requestedIsDollar = f[0].charCodeAt(0) === DOLLAR;
  for (let i = 0; ; i++) {
    const pl = i < p.length ? p[i] : undefined;
    const fl = i < f.length ? f[i] : undefined;
    if (pl === '#') return true; // i ≥ 1: any continuation of a prefix already covered
    if (pl === undefined) return fl === undefined;
    if (fl === undefined) return false; // permission needs one more level; requested matches the shorter topic
    if (fl === '#') return false; // requested also matches the parent level and deeper ones
    if (fl === '+') {
      if (pl !== '+') return false;
      continue; // at i = 0 both exclude '$' levels
    }
    if (pl === '+') {
      if (i === 0 && requestedIsDollar) return false; // [MQTT-4.7.2-1]
      continue;
    }
    if (pl !== fl) return false;
  }
}

const PLUS_HASH: readonly string[] = ['+', '#'];

/**
 * The filter matching exactly the topics both valid filters match (level arrays, placeholders already
 * substituted), or `null` when they share none: `plant/#` and `plant/secret/#` give `plant/secret/#`,
 * `+/x` and `a/+` give `a/x`, `a/#` and `a` give `a`, `#` and `$SYS/#` nothing [MQTT-4.7.2-1].
 * @internal
 */
export function intersectLevels(a: readonly string[], b: readonly string[]): string[] | null {
  const out: string[] = [];
  for (let i = 0; ; i++) {
    const al = i < a.length ? a[i] : undefined;
    const bl = i < b.length ? b[i] : undefined;
    if (al === '#' || bl === '#') {
      const rest = al === '#' ? b.slice(i) : a.slice(i);
      if (i === 0 && rest.length > 0 && isDollarLiteral(rest[0])) return null;
      return [...out, ...rest];
    }
    if (al === undefined || bl === undefined) return al === bl ? out : null;
    if (al === '+' || bl === '+') {
      const level = al === '+' ? bl : al;
      if (i === 0 && isDollarLiteral(level)) return null;
      out.push(level);
      continue;
    }
    if (al !== bl) return null;
    out.push(al);
  }
}

function isDollarLiteral(level: string): boolean {
  return level.charCodeAt(0) === DOLLAR;
}
