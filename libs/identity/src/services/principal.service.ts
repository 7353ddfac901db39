import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import {
  permissionKey,
  type PrincipalChangedEventDto,
  type PrincipalChangeKind,
  type PrincipalDto,
} from '@gatehouse/contracts';
import type { Transaction } from '@gatehouse/persistence';
import { PRINCIPAL_CHANGE_SINK, type PrincipalChangeSink } from '../identity.options';
import type { EffectivePermissionView, PermissionView } from '../identity.types';
import { PermissionRepository } from '../repositories/permission.repository';
import { RoleRepository } from '../repositories/role.repository';
import { UserRepository } from '../repositories/user.repository';

/**
 * Effective permissions (direct ∪ every assigned role's, SPEC 1.3) and the principal a gateway
 * needs; reports changes to the gateways after the transaction that made them has committed.
 */
@Injectable()
export class PrincipalService {
  private readonly logger = new Logger(PrincipalService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly roles: RoleRepository,
    private readonly permissions: PermissionRepository,
    @Optional() @Inject(PRINCIPAL_CHANGE_SINK) private readonly sink?: PrincipalChangeSink,
  ) {}

  async effectivePermissions(userId: string, tx?: Transaction): Promise<EffectivePermissionView[]> {
    const rows = await this.permissions.findEffective(userId, tx);
    return rows.map((r) => ({
      permission: {
        id: r.id,
        context: r.context,
        resource: r.resource,
        operation: r.operation,
        ...(r.effect !== undefined ? { effect: r.effect } : {}),
        ...(r.maxQos !== undefined ? { maxQos: r.maxQos } : {}),
        ...(r.retain !== undefined ? { retain: r.retain } : {}),
      },
      via: r.roleId ?? 'user',
      ...(r.roleName ? { roleName: r.roleName } : {}),
    }));
  }

  /** The effective rules, de-duplicated. */
  async effectiveRules(userId: string, tx?: Transaction): Promise<Omit<PermissionView, 'id'>[]> {
    const seen = new Set<string>();
    const out: Omit<PermissionView, 'id'>[] = [];
    for (const { permission } of await this.effectivePermissions(userId, tx)) {
      const key = permissionKey(permission);
      if (seen.has(key)) continue;
      seen.add(key);
      const { id: _id, ...rule } = permission;
      out.push(rule);
    }
    return out;
  }

  async principal(userId: string, tx?: Transaction): Promise<PrincipalDto | null> {
    const u = await this.users.findPrincipal(userId, tx);
    if (!u) return null;
    return {
      userId: u.id,
      username: u.username,
      enabled: u.enabled,
      permissions: await this.effectiveRules(userId, tx),
      mqttPublishPrefix: u.mqttPublishPrefix,
      permissionsVersion: u.permissionsVersion,
      grantTypes: u.grantTypes.map((g) => ({ method: g.method, isRequired: g.isRequired })),
    };
  }

  /** Inside a transaction: marks the users' effective permissions as changed. */
  async bumpVersions(tx: Transaction, userIds: readonly string[]): Promise<void> {
    await this.users.bumpPermissionsVersions(userIds, tx);
  }

  /** The users holding a role. */
  async usersWithRole(tx: Transaction, roleId: string): Promise<string[]> {
    return this.roles.userIdsWithRole(roleId, tx);
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
