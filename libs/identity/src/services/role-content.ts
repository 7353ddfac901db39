import { permissionKey } from '@gatehouse/contracts';
import type { PermissionInput, PermissionView, RoleContent, RoleVersionChanges } from '../identity.types';
import { samePermissions } from './permission-store';

/** A stored permission as content: no id, `effect` always, the limits only when set. */
export function permissionContent(p: PermissionInput | PermissionView): PermissionInput {
  return {
    context: p.context,
    resource: p.resource,
    operation: p.operation,
    effect: p.effect === 'deny' ? 'deny' : 'allow',
    ...(p.maxQos !== undefined && p.maxQos !== null ? { maxQos: p.maxQos } : {}),
    ...(p.retain !== undefined && p.retain !== null ? { retain: p.retain } : {}),
  };
}

/** What a role's version records of it (ADR 0021). */
export function roleContent(role: {
  name: string;
  description: string | null;
  permissions: readonly (PermissionInput | PermissionView)[];
}): RoleContent {
  return {
    name: role.name,
    description: role.description,
    permissions: role.permissions.map(permissionContent),
  };
}

/** Same name, description and set of permissions (order is not content, as for a PATCH). */
export function sameContent(a: RoleContent, b: RoleContent): boolean {
  return (
    a.name === b.name &&
    (a.description ?? null) === (b.description ?? null) &&
    samePermissions(a.permissions, b.permissions)
  );
}

/**
 * The difference from `before` (`null`: there was no role) to `after`: changed fields with both
 * values, permissions added and removed (by `permissionKey`: effect and limits included).
 */
export function contentChanges(before: RoleContent | null, after: RoleContent): RoleVersionChanges {
  const out: RoleVersionChanges = {};
  if (before?.name !== after.name) out.name = { before: before?.name ?? null, after: after.name };
  if ((before?.description ?? null) !== after.description)
    out.description = { before: before?.description ?? null, after: after.description };
  const had = new Set((before?.permissions ?? []).map(permissionKey));
  const has = new Set(after.permissions.map(permissionKey));
  const added = after.permissions.filter((p) => !had.has(permissionKey(p)));
  const removed = (before?.permissions ?? []).filter((p) => !has.has(permissionKey(p)));
  if (added.length > 0 || removed.length > 0) out.permissions = { added, removed };
  return out;
}
