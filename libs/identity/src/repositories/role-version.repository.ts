import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, type Transaction } from '@gatehouse/persistence';
import type { DataSource } from 'typeorm';
import type {
  PermissionInput,
  RoleActor,
  RoleContent,
  RoleVersionChanges,
  RoleVersionKind,
  RoleVersionView,
} from '../identity.types';

/** A version to append (its number is the next one of the role). */
export interface NewRoleVersion {
  roleId: string;
  content: RoleContent;
  kind: RoleVersionKind;
  rolledBackTo?: number | null;
  changes: RoleVersionChanges | null;
  actor: RoleActor | null;
}

/** A `role_versions` row as selected. */
interface RoleVersionRow {
  role_id: string;
  version: number;
  name: string;
  description: string | null;
  permissions: PermissionInput[] | string;
  kind: RoleVersionKind;
  rolled_back_to: number | null;
  changes: RoleVersionChanges | string | null;
  actor_id: string | null;
  actor_username: string | null;
  created_at: Date | string;
}

const COLUMNS = `role_id, version, name, description, permissions, kind, rolled_back_to, changes, actor_id, actor_username, created_at`;

/** jsonb arrives parsed from node-postgres and as text from some drivers: accept both. */
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toView(r: RoleVersionRow): RoleVersionView {
  return {
    roleId: r.role_id,
    version: r.version,
    name: r.name,
    description: r.description,
    permissions: json(r.permissions),
    kind: r.kind,
    rolledBackTo: r.rolled_back_to,
    changes: r.changes === null ? null : json(r.changes),
    actor: r.actor_id !== null ? { id: r.actor_id, username: r.actor_username ?? '' } : null,
    createdAt: r.created_at instanceof Date ? r.created_at : new Date(r.created_at),
  };
}

/** The `role_versions` table: the saved versions of each role, append-only (ADR 0021). */
@Injectable()
export class RoleVersionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Appends the role's next version (1 when it has none) and answers it. Call it in the transaction
   * that wrote the role, after the role's row was updated: that row's lock orders concurrent writers,
   * and the primary key (role_id, version) refuses a duplicate number should two ever race.
   */
  async append(v: NewRoleVersion, tx?: Transaction): Promise<RoleVersionView> {
    const rows: RoleVersionRow[] = await managerOf(this.dataSource, tx).query(
      `INSERT INTO role_versions (role_id, version, name, description, permissions, kind, rolled_back_to, changes, actor_id, actor_username)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8, $9
         FROM role_versions WHERE role_id = $1
       RETURNING ${COLUMNS}`,
      [
        v.roleId,
        v.content.name,
        v.content.description,
        JSON.stringify(v.content.permissions),
        v.kind,
        v.rolledBackTo ?? null,
        v.changes === null ? null : JSON.stringify(v.changes),
        v.actor?.id ?? null,
        v.actor?.username ?? null,
      ],
    );
    return toView(rows[0]);
  }

  /** Version `version` of the role, or null. */
  async find(roleId: string, version: number, tx?: Transaction): Promise<RoleVersionView | null> {
    const rows: RoleVersionRow[] = await managerOf(this.dataSource, tx).query(
      `SELECT ${COLUMNS} FROM role_versions WHERE role_id = $1 AND version = $2`,
      [roleId, version],
    );
    return rows.length > 0 ? toView(rows[0]) : null;
  }

  /** The role's newest version, or null (a role written around the service, e.g. by a test). */
  async latest(roleId: string, tx?: Transaction): Promise<RoleVersionView | null> {
    const rows: RoleVersionRow[] = await managerOf(this.dataSource, tx).query(
      `SELECT ${COLUMNS} FROM role_versions WHERE role_id = $1 ORDER BY version DESC LIMIT 1`,
      [roleId],
    );
    return rows.length > 0 ? toView(rows[0]) : null;
  }

  /** A page of the role's versions, newest first: those below `before` (when given), at most `limit`. */
  async list(roleId: string, q: { before?: number; limit: number }): Promise<RoleVersionView[]> {
    const rows: RoleVersionRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM role_versions
        WHERE role_id = $1 AND ($2::integer IS NULL OR version < $2)
        ORDER BY version DESC LIMIT $3`,
      [roleId, q.before ?? null, q.limit],
    );
    return rows.map(toView);
  }
}
