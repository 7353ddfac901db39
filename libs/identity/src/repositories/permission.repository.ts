import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, type Transaction } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import type { PermissionHolders, PermissionInput, PermissionView } from '../identity.types';

/** Who holds a permission list: a role or a user (exactly one, as in the table's check constraint). */
export type PermissionOwner = { roleId: string } | { userId: string };

/** A permission reaching a user, directly (`roleId` null) or through a role. */
export interface EffectivePermissionRow extends PermissionView {
  roleId: string | null;
  roleName: string | null;
}

/**
 * The sort key of the permissions view: (context, resource, operation, effect, maxQos, retain), the
 * limits as numbers (no limit = 3 for maxQos, 2 for retain; false = 0, true = 1).
 */
export type PermissionKey = [
  context: string,
  resource: string,
  operation: string,
  effect: string,
  maxQos: number,
  retain: number,
];

/** A `permissions` row as selected (`… effect, max_qos, retain`). */
interface PermissionRow {
  id: string;
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect: 'allow' | 'deny';
  max_qos: 0 | 1 | 2 | null;
  retain: boolean | null;
}

/**
 * A stored permission as a view: `effect` always, the limits only when set (SPEC 1.1, 1.4.6-7). Takes a
 * row or its `json_build_object` (with `maxQos`).
 */
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

/** The `permissions` table: the ordered permission lists of roles and users. */
@Injectable()
export class PermissionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The permission lists of these roles (or users), each in its stored order; owners without any are absent. */
  async findByOwners(
    column: 'role_id' | 'user_id',
    ownerIds: readonly string[],
    tx?: Transaction,
  ): Promise<Map<string, PermissionView[]>> {
    const out = new Map<string, PermissionView[]>();
    if (ownerIds.length === 0) return out;
    const rows: (PermissionRow & { owner: string })[] = await managerOf(this.dataSource, tx).query(
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

  /**
   * Makes `permissions` the owner's list, in this order (their positions), replacing what it had. The
   * list must hold each permission once (see `dedupe`).
   */
  async replace(
    owner: PermissionOwner,
    permissions: readonly PermissionInput[],
    tx?: Transaction,
  ): Promise<void> {
    const [column, id] = 'roleId' in owner ? ['role_id', owner.roleId] : ['user_id', owner.userId];
    const m = managerOf(this.dataSource, tx);
    await m.query(`DELETE FROM permissions WHERE ${column} = $1`, [id]);
    if (permissions.length === 0) return;
    const values: unknown[] = [];
    const tuples = permissions.map((p, i) => {
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
    await m.query(
      `INSERT INTO permissions (${column}, context, resource, operation, effect, max_qos, retain, position) VALUES ${tuples.join(', ')}`,
      values,
    );
  }

  /**
   * Every permission reaching the user: the direct ones first, then each role's (by role id, then
   * name), each list in its stored order. Duplicates across lists are kept.
   */
  async findEffective(userId: string, tx?: Transaction): Promise<EffectivePermissionRow[]> {
    const rows: (PermissionRow & { role_id: string | null; role_name: string | null })[] = await managerOf(
      this.dataSource,
      tx,
    ).query(
      // Two indexed lookups (direct, then through roles): an OR across both would scan the table.
      `SELECT * FROM (
         SELECT p.id, p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain, p.role_id, NULL::varchar AS role_name, p.user_id, p.position
           FROM permissions p WHERE p.user_id = $1
         UNION ALL
         SELECT p.id, p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain, p.role_id, r.name AS role_name, p.user_id, p.position
           FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN permissions p ON p.role_id = ur.role_id
          WHERE ur.user_id = $1
         UNION ALL
         -- roles conferred by the directory groups of a federated user (SPEC 2.1a), unless also assigned
         SELECT p.id, p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain, p.role_id, r.name AS role_name, p.user_id, p.position
           FROM users u JOIN roles r ON lower(r.external_groups::text)::text[] && u.external_groups
           JOIN permissions p ON p.role_id = r.id
          WHERE u.id = $1 AND u.external_groups IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM user_roles ur2 WHERE ur2.user_id = $1 AND ur2.role_id = r.id)
       ) e ORDER BY e.role_id NULLS FIRST, e.role_name, e.position`,
      [userId],
    );
    return rows.map((r) => ({ ...permissionView(r), roleId: r.role_id, roleName: r.role_name }));
  }

  /**
   * Each distinct permission (context, resource, operation, effect, limits: an allow and a deny of one
   * resource are two) after `after`, sorted by {@link PermissionKey}, with the users and roles holding
   * it directly; at most `limit`.
   */
  async listHolders(q: { after?: PermissionKey; limit: number }): Promise<PermissionHolders[]> {
    const rows: {
      context: string;
      resource: string;
      operation: string;
      effect: string;
      max_qos: number | null;
      retain: boolean | null;
      users: { id: string; name: string }[] | null;
      roles: { id: string; name: string }[] | null;
    }[] = await this.dataSource.query(
      `SELECT p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain,
              json_agg(DISTINCT jsonb_build_object('id', u.id, 'name', u.username)) FILTER (WHERE u.id IS NOT NULL) AS users,
              json_agg(DISTINCT jsonb_build_object('id', r.id, 'name', r.name)) FILTER (WHERE r.id IS NOT NULL) AS roles
         FROM permissions p
         LEFT JOIN users u ON u.id = p.user_id
         LEFT JOIN roles r ON r.id = p.role_id
        WHERE $1::text IS NULL
           OR (p.context, p.resource, p.operation, p.effect, COALESCE(p.max_qos, 3), COALESCE(p.retain::int, 2))
              > ($1::text, $2::text, $3::text, $5::text, $6::int, $7::int)
        GROUP BY p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain
        ORDER BY p.context, p.resource, p.operation, p.effect, COALESCE(p.max_qos, 3), COALESCE(p.retain::int, 2)
        LIMIT $4`,
      [
        q.after?.[0] ?? null,
        q.after?.[1] ?? null,
        q.after?.[2] ?? null,
        q.limit,
        ...(q.after?.slice(3) ?? ['', -1, -1]),
      ],
    );
    return rows.map((r) => ({
      context: r.context,
      resource: r.resource,
      operation: r.operation,
      effect: r.effect === 'deny' ? 'deny' : 'allow',
      ...(r.max_qos !== null ? { maxQos: r.max_qos as 0 | 1 | 2 } : {}),
      ...(r.retain !== null ? { retain: r.retain } : {}),
      users: r.users ?? [],
      roles: r.roles ?? [],
    }));
  }
}
