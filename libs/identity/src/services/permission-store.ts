import { permissionKey } from '@gatehouse/contracts';
import type { PermissionInput } from '../identity.types';

/** Each permission (`permissionKey`: effect and limits included) once, in the order first given. */
export function dedupe(permissions: readonly PermissionInput[]): PermissionInput[] {
  const seen = new Set<string>();
  return permissions.filter((p) => {
    const k = permissionKey(p);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function samePermissions(a: readonly PermissionInput[], b: readonly PermissionInput[]): boolean {
  const sa = new Set(a.map(permissionKey));
  const sb = new Set(b.map(permissionKey));
  return sa.size === sb.size && [...sa].every((k) => sb.has(k));
}
