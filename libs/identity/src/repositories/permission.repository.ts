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

/** A (context, resource, operation) triple: the sort key of the permissions view. */
export type PermissionKey = [context: string, resource: string, operation: string];

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
    const rows: (PermissionView & { owner: string })[] = await managerOf(this.dataSource, tx).query(
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

  /**
   * Makes `permissions` the owner's list, in this order (their positions), replacing what it had. The
   * list must hold each (context, resource, operation) once (see `dedupe`).
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
      values.push(id, p.context, p.resource, p.operation, i);
      const b = i * 5;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5})`;
    });
    await m.query(
      `INSERT INTO permissions (${column}, context, resource, operation, position) VALUES ${tuples.join(', ')}`,
      values,
    );
  }

  /**
   * Every permission reaching the user: the direct ones first, then each role's (by role id, then
   * name), each list in its stored order. Duplicates across lists are kept.
   */
  async findEffective(userId: string, tx?: Transaction): Promise<EffectivePermissionRow[]> {
    const rows: {
      id: string;
      context: 'mqtt' | 'http';
      resource: string;
      operation: 'read' | 'write' | 'readWrite';
      role_id: string | null;
      role_name: string | null;
    }[] = await managerOf(this.dataSource, tx).query(
      // Two indexed lookups (direct, then through roles): an OR across both would scan the table.
      `SELECT * FROM (
         SELECT p.id, p.context, p.resource, p.operation, p.role_id, NULL::varchar AS role_name, p.user_id, p.position
           FROM permissions p WHERE p.user_id = $1
         UNION ALL
         SELECT p.id, p.context, p.resource, p.operation, p.role_id, r.name AS role_name, p.user_id, p.position
           FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN permissions p ON p.role_id = ur.role_id
          WHERE ur.user_id = $1
       ) e ORDER BY e.role_id NULLS FIRST, e.role_name, e.position`,
      [userId],
    );
    return rows.map((r) => ({
      id: r.id,
      context: r.context,
      resource: r.resource,
      operation: r.operation,
      roleId: r.role_id,
      roleName: r.role_name,
    }));
  }

  /**
   * Each distinct (context, resource, operation) after `after`, sorted by that triple, with the users
   * and roles holding it directly; at most `limit`.
   */
  async listHolders(q: { after?: PermissionKey; limit: number }): Promise<PermissionHolders[]> {
    const rows: {
      context: string;
      resource: string;
      operation: string;
      users: { id: string; name: string }[] | null;
      roles: { id: string; name: string }[] | null;
    }[] = await this.dataSource.query(
      `SELECT p.context, p.resource, p.operation,
              json_agg(DISTINCT jsonb_build_object('id', u.id, 'name', u.username)) FILTER (WHERE u.id IS NOT NULL) AS users,
              json_agg(DISTINCT jsonb_build_object('id', r.id, 'name', r.name)) FILTER (WHERE r.id IS NOT NULL) AS roles
         FROM permissions p
         LEFT JOIN users u ON u.id = p.user_id
         LEFT JOIN roles r ON r.id = p.role_id
        WHERE $1::text IS NULL OR (p.context, p.resource, p.operation) > ($1::text, $2::text, $3::text)
        GROUP BY p.context, p.resource, p.operation
        ORDER BY p.context, p.resource, p.operation
        LIMIT $4`,
      [q.after?.[0] ?? null, q.after?.[1] ?? null, q.after?.[2] ?? null, q.limit],
    );
    return rows.map((r) => ({
      context: r.context,
      resource: r.resource,
      operation: r.operation,
      users: r.users ?? [],
      roles: r.roles ?? [],
    }));
  }
}
