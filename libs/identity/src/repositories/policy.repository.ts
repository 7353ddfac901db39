import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { managerOf, type Transaction } from '@gatehouse/persistence';
import type { DataSource, EntityManager } from 'typeorm';
import type { GrantType } from '../entities';
import type { PermissionInput, RoleActor, RoleContent, RoleVersionChanges } from '../identity.types';
import { permissionView } from './permission.repository';

/** A role as the policy apply reads it (ADR 0028). */
export interface PolicyRoleRow {
  id: string;
  name: string;
  description: string | null;
  builtIn: boolean;
  externalGroups: string[];
  permissions: PermissionInput[];
}

/** A user as the policy apply reads it: what a document can change, and what a principal needs. */
export interface PolicyUserRow {
  id: string;
  username: string;
  enabled: boolean;
  mqttPublishPrefix: string | null;
  permissionsVersion: number;
  grantTypes: GrantType[];
  /** A federated user's directory groups (lower case); null for a local user. */
  externalGroups: string[] | null;
  roleIds: string[];
  permissions: PermissionInput[];
}

/** One permission row to insert, with its owner and position. */
export interface OwnedPermission {
  owner: string;
  permission: PermissionInput;
  position: number;
}

/** A role version to append with an explicit number (ADR 0021). */
export interface PolicyRoleVersion {
  roleId: string;
  version: number;
  content: RoleContent;
  kind: 'create' | 'update' | 'backfill';
  changes: RoleVersionChanges | null;
  actor: RoleActor | null;
}

/** The key of the transaction-scoped advisory lock that serialises policy applies. */
const POLICY_LOCK_KEY = 0x6761_7465; // "gate"

interface PermissionRow {
  id: string;
  owner: string;
  context: 'mqtt' | 'http';
  resource: string;
  operation: 'read' | 'write' | 'readWrite';
  effect: 'allow' | 'deny';
  max_qos: 0 | 1 | 2 | null;
  retain: boolean | null;
}

const input = (row: PermissionRow): PermissionInput => {
  const { id: _id, ...rest } = permissionView(row);
  return rest;
};

/**
 * Set-based reads and writes of a policy apply (issue 13, ADR 0028): a handful of statements whatever the
 * number of users, each with array parameters (`unnest`), never a statement per row. Every method runs
 * in the apply's transaction.
 */
@Injectable()
export class PolicyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private m(tx: Transaction): EntityManager {
    return managerOf(this.dataSource, tx);
  }

  /** Waits until no other apply holds the lock; held until the transaction ends. */
  async lock(tx: Transaction): Promise<void> {
    await this.m(tx).query(`SELECT pg_advisory_xact_lock($1)`, [POLICY_LOCK_KEY]);
  }

  /** Every role with its permissions (in their order); `forUpdate`: rows locked until the end. */
  async roles(tx: Transaction, forUpdate: boolean): Promise<PolicyRoleRow[]> {
    const m = this.m(tx);
    const roles: {
      id: string;
      name: string;
      description: string | null;
      built_in: boolean;
      external_groups: string[] | null;
    }[] = await m.query(
      `SELECT id, name, description, built_in, external_groups FROM roles ORDER BY name${forUpdate ? ' FOR UPDATE' : ''}`,
    );
    const perms: PermissionRow[] = await m.query(
      `SELECT id, role_id AS owner, context, resource, operation, effect, max_qos, retain
         FROM permissions WHERE role_id IS NOT NULL ORDER BY role_id, position`,
    );
    const byRole = group(perms);
    return roles.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      builtIn: r.built_in,
      externalGroups: r.external_groups ?? [],
      permissions: byRole.get(r.id) ?? [],
    }));
  }

  /** Every user with role ids and direct permissions; `forUpdate`: rows locked until the end. */
  async users(tx: Transaction, forUpdate: boolean): Promise<PolicyUserRow[]> {
    const m = this.m(tx);
    const users: {
      id: string;
      username: string;
      enabled: boolean;
      mqtt_publish_prefix: string | null;
      permissions_version: number;
      grant_types: GrantType[];
      external_groups: string[] | null;
    }[] = await m.query(
      `SELECT id, username, enabled, mqtt_publish_prefix, permissions_version, grant_types, external_groups
         FROM users ORDER BY username${forUpdate ? ' FOR UPDATE' : ''}`,
    );
    const assignments: { user_id: string; role_id: string }[] = await m.query(
      `SELECT user_id, role_id FROM user_roles`,
    );
    const perms: PermissionRow[] = await m.query(
      `SELECT id, user_id AS owner, context, resource, operation, effect, max_qos, retain
         FROM permissions WHERE user_id IS NOT NULL ORDER BY user_id, position`,
    );
    const byUser = group(perms);
    const roleIds = new Map<string, string[]>();
    for (const a of assignments) {
      const list = roleIds.get(a.user_id);
      if (list) list.push(a.role_id);
      else roleIds.set(a.user_id, [a.role_id]);
    }
    return users.map((u) => ({
      id: u.id,
      username: u.username,
      enabled: u.enabled,
      mqttPublishPrefix: u.mqtt_publish_prefix,
      permissionsVersion: u.permissions_version,
      grantTypes: u.grant_types,
      externalGroups: u.external_groups,
      roleIds: roleIds.get(u.id) ?? [],
      permissions: byUser.get(u.id) ?? [],
    }));
  }

  /** Inserts roles (not built in); answers name → id. */
  async insertRoles(
    roles: readonly { name: string; description: string | null; externalGroups: string[] }[],
    tx: Transaction,
  ): Promise<Map<string, string>> {
    if (roles.length === 0) return new Map();
    const rows: { id: string; name: string }[] = await this.m(tx).query(
      `INSERT INTO roles (name, description, external_groups, built_in)
       SELECT v.name, v.description, ARRAY(SELECT jsonb_array_elements_text(v.groups::jsonb)), false
         FROM unnest($1::text[], $2::text[], $3::text[]) AS v(name, description, groups)
       RETURNING id, name`,
      [
        roles.map((r) => r.name),
        roles.map((r) => r.description),
        roles.map((r) => JSON.stringify(r.externalGroups)),
      ],
    );
    return new Map(rows.map((r) => [r.name, r.id]));
  }

  /** Sets description and directory groups of existing roles, bumping each one's version. */
  async updateRoles(
    roles: readonly { id: string; description: string | null; externalGroups: string[] }[],
    tx: Transaction,
  ): Promise<void> {
    if (roles.length === 0) return;
    await this.m(tx).query(
      `UPDATE roles r SET description = v.description,
              external_groups = ARRAY(SELECT jsonb_array_elements_text(v.groups::jsonb)),
              version = r.version + 1, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, description, groups)
        WHERE r.id = v.id`,
      [
        roles.map((r) => r.id),
        roles.map((r) => r.description),
        roles.map((r) => JSON.stringify(r.externalGroups)),
      ],
    );
  }

  /** Deletes roles (their permissions, assignments and versions go with them). */
  async deleteRoles(ids: readonly string[], tx: Transaction): Promise<void> {
    if (ids.length === 0) return;
    await this.m(tx).query(`DELETE FROM roles WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** Makes `rows` the permission lists of these owners (roles or users), replacing what they had. */
  async replacePermissions(
    column: 'role_id' | 'user_id',
    ownerIds: readonly string[],
    rows: readonly OwnedPermission[],
    tx: Transaction,
  ): Promise<void> {
    if (ownerIds.length === 0) return;
    const m = this.m(tx);
    await m.query(`DELETE FROM permissions WHERE ${column} = ANY($1::uuid[])`, [ownerIds]);
    if (rows.length === 0) return;
    await m.query(
      `INSERT INTO permissions (${column}, context, resource, operation, effect, max_qos, retain, position)
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::text[], $4::varchar[], $5::varchar[], $6::smallint[], $7::boolean[], $8::integer[])`,
      [
        rows.map((r) => r.owner),
        rows.map((r) => r.permission.context),
        rows.map((r) => r.permission.resource),
        rows.map((r) => r.permission.operation),
        rows.map((r) => r.permission.effect ?? 'allow'),
        rows.map((r) => r.permission.maxQos ?? null),
        rows.map((r) => r.permission.retain ?? null),
        rows.map((r) => r.position),
      ],
    );
  }

  /** Inserts local users without a password; answers username → id. */
  async insertUsers(
    users: readonly { username: string; enabled: boolean }[],
    grantTypes: readonly GrantType[],
    tx: Transaction,
  ): Promise<Map<string, string>> {
    if (users.length === 0) return new Map();
    const rows: { id: string; username: string }[] = await this.m(tx).query(
      `INSERT INTO users (username, enabled, grant_types, identity_provider)
       SELECT v.username, v.enabled, $3::jsonb, 'local' FROM unnest($1::text[], $2::boolean[]) AS v(username, enabled)
       RETURNING id, username`,
      [users.map((u) => u.username), users.map((u) => u.enabled), JSON.stringify(grantTypes)],
    );
    return new Map(rows.map((r) => [r.username, r.id]));
  }

  /** Sets `enabled` of existing users and bumps each one's version (an update of the user). */
  async updateUsers(users: readonly { id: string; enabled: boolean }[], tx: Transaction): Promise<void> {
    if (users.length === 0) return;
    await this.m(tx).query(
      `UPDATE users u SET enabled = v.enabled, version = u.version + 1, updated_at = now()
         FROM unnest($1::uuid[], $2::boolean[]) AS v(id, enabled) WHERE u.id = v.id`,
      [users.map((u) => u.id), users.map((u) => u.enabled)],
    );
  }

  /** Marks the users' effective permissions as changed. */
  async bumpPermissionsVersions(ids: readonly string[], tx: Transaction): Promise<void> {
    if (ids.length === 0) return;
    await this.m(tx).query(
      `UPDATE users SET permissions_version = permissions_version + 1 WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  /** Makes `pairs` the role assignments of these users, replacing what they had. */
  async replaceAssignments(
    userIds: readonly string[],
    pairs: readonly { userId: string; roleId: string }[],
    tx: Transaction,
  ): Promise<void> {
    if (userIds.length === 0) return;
    const m = this.m(tx);
    await m.query(`DELETE FROM user_roles WHERE user_id = ANY($1::uuid[])`, [userIds]);
    if (pairs.length === 0) return;
    await m.query(`INSERT INTO user_roles (user_id, role_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`, [
      pairs.map((p) => p.userId),
      pairs.map((p) => p.roleId),
    ]);
  }

  /** Deletes users (their tokens, permissions, assignments and certificates go with them). */
  async deleteUsers(ids: readonly string[], tx: Transaction): Promise<void> {
    if (ids.length === 0) return;
    await this.m(tx).query(`DELETE FROM users WHERE id = ANY($1::uuid[])`, [ids]);
  }

  /** The newest version number of each of these roles (absent: no history yet). */
  async latestRoleVersions(roleIds: readonly string[], tx: Transaction): Promise<Map<string, number>> {
    if (roleIds.length === 0) return new Map();
    const rows: { role_id: string; version: number }[] = await this.m(tx).query(
      `SELECT role_id, MAX(version) AS version FROM role_versions WHERE role_id = ANY($1::uuid[]) GROUP BY role_id`,
      [roleIds],
    );
    return new Map(rows.map((r) => [r.role_id, Number(r.version)]));
  }

  /** Appends role versions with the numbers given (the roles' rows are locked by this apply). */
  async appendRoleVersions(versions: readonly PolicyRoleVersion[], tx: Transaction): Promise<void> {
    if (versions.length === 0) return;
    await this.m(tx).query(
      `INSERT INTO role_versions (role_id, version, name, description, permissions, kind, changes, actor_id, actor_username)
       SELECT v.role_id, v.version, v.name, v.description, v.permissions::jsonb, v.kind, v.changes::jsonb, v.actor_id, v.actor_username
         FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::uuid[], $9::text[])
           AS v(role_id, version, name, description, permissions, kind, changes, actor_id, actor_username)`,
      [
        versions.map((v) => v.roleId),
        versions.map((v) => v.version),
        versions.map((v) => v.content.name),
        versions.map((v) => v.content.description),
        versions.map((v) => JSON.stringify(v.content.permissions)),
        versions.map((v) => v.kind),
        versions.map((v) => (v.changes === null ? null : JSON.stringify(v.changes))),
        versions.map((v) => v.actor?.id ?? null),
        versions.map((v) => v.actor?.username ?? null),
      ],
    );
  }

  /** Whether the bootstrap file was applied already (ADR 0028). */
  async bootstrapRecorded(tx: Transaction): Promise<boolean> {
    const rows: unknown[] = await this.m(tx).query(`SELECT 1 FROM policy_bootstrap`);
    return rows.length > 0;
  }

  /** Records that the bootstrap file was applied (once: the table holds at most one row). */
  async recordBootstrap(fileSha256: string, summary: unknown, tx: Transaction): Promise<void> {
    await this.m(tx).query(
      `INSERT INTO policy_bootstrap (id, file_sha256, summary) VALUES (1, $1, $2::jsonb)`,
      [fileSha256, JSON.stringify(summary)],
    );
  }
}

function group(rows: readonly PermissionRow[]): Map<string, PermissionInput[]> {
  const out = new Map<string, PermissionInput[]>();
  for (const row of rows) {
    const list = out.get(row.owner);
    if (list) list.push(input(row));
    else out.set(row.owner, [input(row)]);
  }
  return out;
}
