import { checkHttpPattern, checkMqttFilter, isPlainTopic } from './pattern-validation';
import type { PermissionContext } from './permission.types';
import { stripQuery } from './http-access';

/**
 * How a generic check treats its resource:
 * - `match`: a concrete topic or path, matched against permissions (SPEC 1.4.1);
 * - `cover`: a pattern with `+`/`#` levels, which permissions must cover (SPEC 1.4.3).
 * @internal
 */
export interface RequestResource {
  readonly mode: 'match' | 'cover';
  readonly value: string;
}

/**
 * Classifies the resource of a generic check (`allows`, `grantingRules`), or `null` to deny.
 *
 * - `mqtt`: a valid topic name → `match`; else a valid topic filter → `cover`; else deny.
 * - `http`: the query is stripped; the path must start with `/`. Without a whole `+` or `#` level it is
 *   a concrete path (`match`, where `+`/`#` inside a level are data, like `canHttp`); with one, it
 *   must be a valid pattern (`cover`).
 * @internal
 */
export function classifyRequest(context: PermissionContext, resource: string): RequestResource | null {
  if (typeof resource !== 'string') return null;
  if (context === 'mqtt') {
    if (isPlainTopic(resource)) return { mode: 'match', value: resource };
    return checkMqttFilter(resource, null) === null ? { mode: 'cover', value: resource } : null;
  }
  if (context !== 'http') return null;
  const path = stripQuery(resource);
  if (path.charCodeAt(0) !== 47) return null;
  if (!hasWildcardLevel(path)) return { mode: 'match', value: path };
  return checkHttpPattern(path) === null ? { mode: 'cover', value: path } : null;
}

function hasWildcardLevel(path: string): boolean {
  let start = 0;
  for (;;) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    if (end - start === 1) {
      const c = path.charCodeAt(start);
      if (c === 43 || c === 35) return true;
    }
    if (end === path.length) return false;
    start = end + 1;
  }
}
