import { permissionKey } from '@gatehouse/contracts';
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
  const rows: (PermissionRow & { owner: string })[] = await manager.query(
    `SELECT id, context, resource, operation, effect, max_qos, retain, ${column} AS owner FROM permissions WHERE ${column} = ANY($1::uuid[]) ORDER BY position`,
    [ownerIds],
  );
  for (const row of rows) {
    const list = out.get(row.owner) ?? [];
    list.push(permissionView(row));
    out.set(row.owner, list);
  }
  return out;
}

/** A `permissions` row as selected (`SELECT id, context, resource, operation, effect, max_qos, retain`). */
export interface PermissionRow {
  id: string;
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect: 'allow' | 'deny';
  max_qos: 0 | 1 | 2 | null;
  retain: boolean | null;
}

/** A row (or its `json_build_object` with `maxQos`) as a view: `effect` always, limits only when set. */
export function permissionView(
  row: PermissionRow | (PermissionView & { maxQos?: 0 | 1 | 2 | null; retain?: boolean | null }),
): PermissionView {
  const maxQos = 'max_qos' in row ? row.max_qos : row.maxQos;
  return {
    id: row.id,
    context: row.context,
    resource: row.resource,
    operation: row.operation,
    effect: row.effect === 'deny' ? 'deny' : 'allow',
    ...(maxQos !== undefined && maxQos !== null ? { maxQos } : {}),
    ...(row.retain !== undefined && row.retain !== null ? { retain: row.retain } : {}),
  };
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
    values.push(
      id,
      p.context,
      p.resource,
      p.operation,
      p.effect ?? 'allow',
      p.maxQos ?? null,
      p.retain ?? null,
      i,
    );
    const b = i * 8;
    return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}::smallint, $${b + 7}::boolean, $${b + 8})`;
  });
  await manager.query(
    `INSERT INTO permissions (${column}, context, resource, operation, effect, max_qos, retain, position) VALUES ${tuples.join(', ')}`,
    values,
  );
}

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
