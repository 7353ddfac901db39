import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, type Transaction } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import { RoleEntity } from '../entities';

/** What an update may change on a role: `description: null` clears it, `undefined` keeps it. */
export interface RoleChanges {
  name?: string;
  description?: string | null;
  /** Replaces the role's directory groups when given. */
  externalGroups?: readonly string[];
}

/** The `roles` table and the role assignments (`user_roles`). */
@Injectable()
export class RoleRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findById(id: string, tx?: Transaction): Promise<RoleEntity | null> {
    return managerOf(this.dataSource, tx).getRepository(RoleEntity).findOne({ where: { id } });
  }

  /** The roles among these ids that exist (in no particular order). */
  findByIds(ids: readonly string[], tx?: Transaction): Promise<RoleEntity[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return managerOf(this.dataSource, tx)
      .getRepository(RoleEntity)
      .createQueryBuilder('r')
      .where('r.id = ANY(:ids)', { ids })
      .getMany();
  }

  /** A page sorted by name: names after `after`, only `name` when given, at most `limit`. */
  list(q: { after?: string; name?: string; limit: number }): Promise<RoleEntity[]> {
    const qb = this.dataSource
      .getRepository(RoleEntity)
      .createQueryBuilder('r')
      .orderBy('r.name', 'ASC')
      .take(q.limit);
    if (q.after !== undefined) qb.andWhere('r.name > :after', { after: q.after });
    if (q.name) qb.andWhere('r.name = :name', { name: q.name });
    return qb.getMany();
  }

  /** Inserts a role that is not built in; rejects with a unique violation when the name is taken. */
  async insert(
    role: { name: string; description: string | null; externalGroups?: string[] },
    tx?: Transaction,
  ): Promise<string> {
    const repo = managerOf(this.dataSource, tx).getRepository(RoleEntity);
    return (
      await repo.save(repo.create({ ...role, externalGroups: role.externalGroups ?? [], builtIn: false }))
    ).id;
  }

  /**
   * Applies `changes` and bumps the version if it is still `expectedVersion` (the optimistic lock of an
   * update). False when the role is gone or its version moved on.
   */
  async updateIfCurrent(
    id: string,
    expectedVersion: number,
    changes: RoleChanges,
    tx?: Transaction,
  ): Promise<boolean> {
    const res: [unknown[], number] = await managerOf(this.dataSource, tx).query(
      `UPDATE roles SET name = COALESCE($3, name), description = CASE WHEN $4::boolean THEN $5 ELSE description END,
              external_groups = COALESCE($6::text[], external_groups), version = version + 1, updated_at = now()
        WHERE id = $1 AND version = $2`,
      [
        id,
        expectedVersion,
        changes.name ?? null,
        changes.description !== undefined,
        changes.description ?? null,
        changes.externalGroups ?? null,
      ],
    );
    return res[1] > 0;
  }

  /** Deletes the role (its permissions and assignments go with it). */
  async delete(id: string, tx?: Transaction): Promise<void> {
    await managerOf(this.dataSource, tx).query(`DELETE FROM roles WHERE id = $1`, [id]);
  }

  /** The ids among `ids` that name existing roles. */
  async existingIds(ids: readonly string[], tx?: Transaction): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await managerOf(this.dataSource, tx).query(
      `SELECT id FROM roles WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return rows.map((r) => r.id);
  }

  /** Makes `roleIds` (distinct) the user's roles, replacing the ones it had. */
  async replaceAssignments(userId: string, roleIds: readonly string[], tx?: Transaction): Promise<void> {
    const m = managerOf(this.dataSource, tx);
    await m.query(`DELETE FROM user_roles WHERE user_id = $1`, [userId]);
    if (roleIds.length > 0) {
      await m.query(`INSERT INTO user_roles (user_id, role_id) SELECT $1, unnest($2::uuid[])`, [
        userId,
        roleIds,
      ]);
    }
  }

  /** The users holding the role: assigned, or through their directory groups (SPEC 2.1a). */
  async userIdsWithRole(roleId: string, tx?: Transaction): Promise<string[]> {
    const rows: { user_id: string }[] = await managerOf(this.dataSource, tx).query(
      `SELECT user_id FROM user_roles WHERE role_id = $1
       UNION
       SELECT u.id FROM users u JOIN roles r ON r.id = $1
        WHERE u.external_groups IS NOT NULL AND lower(r.external_groups::text)::text[] && u.external_groups`,
      [roleId],
    );
    return rows.map((r) => r.user_id);
  }
}
