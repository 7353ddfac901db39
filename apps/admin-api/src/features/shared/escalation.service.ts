import { HttpStatus, Injectable } from '@nestjs/common';
import { ApprovalService } from '@gatehouse/client-registry';
import {
  AuthService,
  type AuthSession,
  type PermissionInput,
  RoleService,
  UserService,
} from '@gatehouse/identity';
import { ANY_USER, type Grantee, GrantorAccess, type PermissionRule } from '@gatehouse/rbac';
import type { EscalationTarget, HandedOut } from '../../http/escalation.decorator';
import { Problem } from '../../http/problem';

const describe = (p: PermissionInput) => `{${p.context}, ${p.resource}, ${p.operation}}`;

/** What a request hands out, read from its path and body by the `EscalationGuard`. */
export interface EscalationRequest {
  /** The `:id` of the path (a canonical UUID), for the targets that name one. */
  readonly targetId?: string;
  /** The body's `username`, when it is a string. */
  readonly username?: string;
  /** The body's `permissions`, when present (already shaped as rules; their patterns are validated here). */
  readonly permissions?: readonly PermissionRule[];
  /** The body's `roles` (canonical UUIDs), when present. */
  readonly roles?: readonly string[];
}

/** One check, resolved against the current state: who receives, and what is new for them. */
interface Resolved {
  readonly grantee: Grantee;
  readonly permissions: readonly PermissionRule[];
  readonly roleIds: readonly string[];
  /** Set when the route acts on a user's account or credentials: that user. */
  readonly controlOf?: { readonly id: string; readonly username: string };
}

/**
 * No privilege escalation (SPEC 2.2, ADR 0004): whoever hands out permissions (directly, through a
 * role, or by assigning a role) must hold every one of them, compared as effective access (each side's
 * own `${username}`, see `GrantorAccess`); and whoever acts on another user's account or credentials
 * must hold every effective permission of that user. Called only by the `EscalationGuard`, from what a
 * route declares with `@HandsOut`.
 */
@Injectable()
export class EscalationService {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UserService,
    private readonly roles: RoleService,
    private readonly approvals: ApprovalService,
  ) {}

  /** @throws Problem 403 `AUTH.ESCALATION`; 404 when the target does not exist */
  async assertAllowed(
    session: AuthSession,
    to: EscalationTarget,
    handsOut: readonly HandedOut[],
    request: EscalationRequest,
  ): Promise<void> {
    const resolved = await this.resolve(to, new Set(handsOut), request);
    // Acting on one's own account is not a takeover (changing one's own password needs the current one).
    const target = resolved.controlOf?.id === session.userId ? undefined : resolved.controlOf;
    if (resolved.permissions.length === 0 && resolved.roleIds.length === 0 && target === undefined) return;
    const grantor = GrantorAccess.of(await this.auth.effectiveRules(session.userId), session.username);

    if (target !== undefined) {
      const missing = grantor.firstUncovered(await this.auth.effectiveRules(target.id), {
        username: target.username,
      });
      if (missing) {
        throw new Problem(
          HttpStatus.FORBIDDEN,
          'AUTH.ESCALATION',
          `this user holds ${describe(missing)}, which you do not hold`,
        );
      }
    }
    const missing = grantor.firstUncovered(resolved.permissions, resolved.grantee);
    if (missing) {
      throw new Problem(
        HttpStatus.FORBIDDEN,
        'AUTH.ESCALATION',
        `you cannot hand out ${describe(missing)}: you do not hold it`,
      );
    }
    if (resolved.roleIds.length === 0) return;
    for (const role of await this.roles.getMany(resolved.roleIds)) {
      const notHeld = grantor.firstUncovered(role.permissions, resolved.grantee);
      if (notHeld) {
        throw new Problem(
          HttpStatus.FORBIDDEN,
          'AUTH.ESCALATION',
          `you cannot assign role "${role.name}": you do not hold ${describe(notHeld)}`,
        );
      }
    }
  }

  /** Per target: who receives, and what it gains. Only what an update adds is checked (ADR 0004). */
  private async resolve(
    to: EscalationTarget,
    what: ReadonlySet<HandedOut>,
    r: EscalationRequest,
  ): Promise<Resolved> {
    const permissions = what.has('permissions') ? (r.permissions ?? []) : [];
    const roleIds = what.has('roles') ? (r.roles ?? []) : [];
    switch (to) {
      case 'new-user':
        // A name the body does not give (the request will be refused anyway) is any user.
        return {
          grantee: r.username !== undefined ? { username: r.username } : ANY_USER,
          permissions,
          roleIds,
        };
      case 'new-role':
        return { grantee: ANY_USER, permissions, roleIds: [] };
      case 'user': {
        const user = await this.users.get(requireId(r));
        return {
          grantee: { username: user.username },
          permissions: addedPermissions(user.permissions, permissions),
          roleIds: roleIds.filter((id) => !user.roles.includes(id)),
          ...(what.has('credentials-of-target-user') ? { controlOf: user } : {}),
        };
      }
      case 'role': {
        const role = await this.roles.get(requireId(r));
        return {
          grantee: ANY_USER,
          permissions: addedPermissions(role.permissions, permissions),
          roleIds: [],
        };
      }
      case 'registration-request': {
        const request = await this.approvals.get(requireId(r));
        return { grantee: { username: request.username }, permissions, roleIds };
      }
    }
  }
}

function requireId(r: EscalationRequest): string {
  if (r.targetId === undefined) throw new Error('escalation target declared on a route without :id');
  return r.targetId;
}

/** The elements of `next` that are not in `current` (by context, resource, operation). */
export function addedPermissions<T extends PermissionRule>(
  current: readonly PermissionRule[],
  next: readonly T[],
): T[] {
  const key = (p: PermissionRule) => `${p.context}\u0000${p.operation}\u0000${p.resource}`;
  const have = new Set(current.map(key));
  return next.filter((p) => !have.has(key(p)));
}
