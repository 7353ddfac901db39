import { HttpStatus, Injectable } from '@nestjs/common';
import { AuthService, type AuthSession, type PermissionInput, RoleService } from '@gatehouse/identity';
import { type PermissionRule, ruleCoveredBy } from '@gatehouse/rbac';
import { Problem } from '../../http/problem';

const describe = (p: PermissionInput) => `{${p.context}, ${p.resource}, ${p.operation}}`;

/**
 * No privilege escalation (SPEC 2.2): whoever hands out permissions (directly, through a role, or
 * by assigning a role) must hold every one of them. ADR 0004 extends this to taking over an
 * account: you may only change the credentials or state of a user whose permissions you hold.
 */
@Injectable()
export class EscalationGuard {
  constructor(
    private readonly auth: AuthService,
    private readonly roles: RoleService,
  ) {}

  async assertMayGrant(
    session: AuthSession,
    grant: { permissions?: readonly PermissionInput[]; roleIds?: readonly string[] },
  ): Promise<void> {
    const wantsPermissions = (grant.permissions?.length ?? 0) > 0;
    const wantsRoles = (grant.roleIds?.length ?? 0) > 0;
    if (!wantsPermissions && !wantsRoles) return;
    const held = (await this.auth.effectiveRules(session.userId)) as PermissionRule[];
    for (const p of grant.permissions ?? []) {
      if (!ruleCoveredBy(p, held)) {
        throw new Problem(
          HttpStatus.FORBIDDEN,
          'AUTH.ESCALATION',
          `you cannot hand out ${describe(p)}: you do not hold it`,
        );
      }
    }
    for (const role of await this.roles.getMany(grant.roleIds ?? [])) {
      const missing = role.permissions.find((p) => !ruleCoveredBy(p, held));
      if (missing) {
        throw new Problem(
          HttpStatus.FORBIDDEN,
          'AUTH.ESCALATION',
          `you cannot assign role "${role.name}": you do not hold ${describe(missing)}`,
        );
      }
    }
  }

  /** The caller must hold every effective permission of `targetUserId` to take control of it. */
  async assertMayControl(session: AuthSession, targetUserId: string): Promise<void> {
    if (targetUserId === session.userId) return;
    const held = (await this.auth.effectiveRules(session.userId)) as PermissionRule[];
    const target = await this.auth.effectiveRules(targetUserId);
    const missing = target.find((p) => !ruleCoveredBy(p, held));
    if (missing) {
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.ESCALATION',
        `this user holds ${describe(missing)}, which you do not hold`,
      );
    }
  }
}

/** The elements of `next` that are not in `current` (by context, resource, operation). */
export function addedPermissions(
  current: readonly PermissionInput[],
  next: readonly PermissionInput[],
): PermissionInput[] {
  const key = (p: PermissionInput) => `${p.context}\u0000${p.operation}\u0000${p.resource}`;
  const have = new Set(current.map(key));
  return next.filter((p) => !have.has(key(p)));
}
