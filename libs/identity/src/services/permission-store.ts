import type { PermissionInput } from '../identity.types';

/** Each (context, operation, resource) once, in the order first given (a permission list as stored). */
export function dedupe(permissions: readonly PermissionInput[]): PermissionInput[] {
  const seen = new Set<string>();
  return permissions.filter((p) => {
    const k = `${p.context}\u0000${p.operation}\u0000${p.resource}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function samePermissions(a: readonly PermissionInput[], b: readonly PermissionInput[]): boolean {
  const key = (p: PermissionInput) => `${p.context}\u0000${p.operation}\u0000${p.resource}`;
  const sa = new Set(a.map(key));
  const sb = new Set(b.map(key));
  return sa.size === sb.size && [...sa].every((k) => sb.has(k));
}
