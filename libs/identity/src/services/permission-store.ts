import type { EntityManager } from 'typeorm';
import type { PermissionInput, PermissionView } from '../identity.types';

type Owner = { roleId: string } | { userId: string };

const ownerColumn = (o: Owner): ['role_id' | 'user_id', string] =>
  'roleId' in o ? ['role_id', o.roleId] : ['user_id', o.userId];

/** Reads and replaces the permission list of one role or user (inside the caller's transaction). */
export async function loadPermissions(
  manager: EntityManager,
  ownerIds: readonly string[],
  column: 'role_id' | 'user_id',
): Promise<Map<string, PermissionView[]>> {
  const out = new Map<string, PermissionView[]>();
  if (ownerIds.length === 0) return out;
  const rows: (PermissionView & { owner: string })[] = await manager.query(
    `SELECT id, context, resource, operation, ${column} AS owner FROM permissions WHERE ${column} = ANY($1::uuid[]) ORDER BY position`,
    [ownerIds],
  );
  for (const { owner, ...p } of rows) {
    const list = out.get(owner) ?? [];
    list.push(p);
    out.set(owner, list);
  }
  return out;
}

export async function replacePermissions(
  manager: EntityManager,
  owner: Owner,
  permissions: readonly PermissionInput[],
): Promise<void> {
  const [column, id] = ownerColumn(owner);
  await manager.query(`DELETE FROM permissions WHERE ${column} = $1`, [id]);
  const unique = dedupe(permissions);
  if (unique.length === 0) return;
  const values: unknown[] = [];
  const tuples = unique.map((p, i) => {
    values.push(id, p.context, p.resource, p.operation, i);
    const b = i * 5;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
  });
  await manager.query(
    `INSERT INTO permissions (${column}, context, resource, operation, position) VALUES ${tuples.join(', ')}`,
    values,
  );
}

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
