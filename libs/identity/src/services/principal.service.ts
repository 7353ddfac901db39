import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  permissionKey,
  type PrincipalChangedEventDto,
  type PrincipalChangeKind,
  type PrincipalDto,
} from '@gatehouse/contracts';
import { DataSource, type EntityManager } from 'typeorm';
import { PRINCIPAL_CHANGE_SINK, type PrincipalChangeSink } from '../identity.options';
import type { EffectivePermissionView, PermissionView } from '../identity.types';
import { permissionView, type PermissionRow as StoredPermissionRow } from './permission-store';

interface PermissionRow extends StoredPermissionRow {
  role_id: string | null;
  role_name: string | null;
  user_id: string | null;
}

/**
 * Effective permissions (direct ∪ every assigned role's, SPEC 1.3) and the principal a gateway
 * needs; reports changes to the gateways after the transaction that made them has committed.
 */
@Injectable()
export class PrincipalService {
  private readonly logger = new Logger(PrincipalService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() @Inject(PRINCIPAL_CHANGE_SINK) private readonly sink?: PrincipalChangeSink,
  ) {}

  async effectivePermissions(
    userId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<EffectivePermissionView[]> {
    const rows: PermissionRow[] = await manager.query(
      // Two indexed lookups (direct, then through roles): an OR across both would scan the table.
      `SELECT * FROM (
         SELECT p.id, p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain, p.role_id, NULL::varchar AS role_name, p.user_id, p.position
           FROM permissions p WHERE p.user_id = $1
         UNION ALL
         SELECT p.id, p.context, p.resource, p.operation, p.effect, p.max_qos, p.retain, p.role_id, r.name AS role_name, p.user_id, p.position
           FROM user_roles ur JOIN roles r ON r.id = ur.role_id JOIN permissions p ON p.role_id = ur.role_id
          WHERE ur.user_id = $1
       ) e ORDER BY e.role_id NULLS FIRST, e.role_name, e.position`,
      [userId],
    );
    return rows.map((r) => ({
      permission: permissionView(r),
      via: r.role_id ?? 'user',
      ...(r.role_name ? { roleName: r.role_name } : {}),
    }));
  }

  /** The effective rules, de-duplicated. */
  async effectiveRules(userId: string, manager?: EntityManager): Promise<Omit<PermissionView, 'id'>[]> {
    const seen = new Set<string>();
    const out: Omit<PermissionView, 'id'>[] = [];
    for (const { permission } of await this.effectivePermissions(userId, manager)) {
      const key = permissionKey(permission);
      if (seen.has(key)) continue;
      seen.add(key);
      const { id: _id, ...rule } = permission;
      out.push(rule);
    }
    return out;
  }

  async principal(
    userId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<PrincipalDto | null> {
    const rows: {
      id: string;
      username: string;
      enabled: boolean;
      mqtt_publish_prefix: string | null;
      permissions_version: number;
      grant_types: { method: 'password' | 'token' | 'certificate'; isRequired: boolean }[];
    }[] = await manager.query(
      `SELECT id, username, enabled, mqtt_publish_prefix, permissions_version, grant_types FROM users WHERE id = $1`,
      [userId],
    );
    const u = rows[0];
    if (!u) return null;
    return {
      userId: u.id,
      username: u.username,
      enabled: u.enabled,
      permissions: await this.effectiveRules(userId, manager),
      mqttPublishPrefix: u.mqtt_publish_prefix,
      permissionsVersion: u.permissions_version,
      grantTypes: u.grant_types.map((g) => ({ method: g.method, isRequired: g.isRequired })),
    };
  }

  /** Inside a transaction: marks the users' effective permissions as changed. */
  async bumpVersions(manager: EntityManager, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    await manager.query(
      `UPDATE users SET permissions_version = permissions_version + 1 WHERE id = ANY($1::uuid[])`,
      [userIds],
    );
  }

  /** The users holding a role. */
  async usersWithRole(manager: EntityManager, roleId: string): Promise<string[]> {
    const rows: { user_id: string }[] = await manager.query(
      `SELECT user_id FROM user_roles WHERE role_id = $1`,
      [roleId],
    );
    return rows.map((r) => r.user_id);
  }

  /** After commit: tells every gateway. `permissions` events carry the new principal. */
  async notify(
    userIds: readonly string[],
    kind: PrincipalChangeKind,
    extra: Partial<PrincipalChangedEventDto> = {},
  ): Promise<void> {
    if (!this.sink || userIds.length === 0) return;
    try {
      const events: PrincipalChangedEventDto[] = [];
      for (const userId of new Set(userIds)) {
        if (kind === 'permissions') {
          const principal = await this.principal(userId);
          if (principal) events.push({ userId, kind, principal });
        } else {
          events.push({ userId, kind, ...extra });
        }
      }
      this.sink.publish(events);
    } catch (err) {
      this.logger.error(`could not publish principal changes: ${(err as Error).message}`);
    }
  }
}
