import { HttpStatus, Injectable } from '@nestjs/common';
import { ApprovalService } from '@gatehouse/client-registry';
import { permissionKey } from '@gatehouse/contracts';
import {
  AuthService,
  type AuthSession,
  RoleHistoryService,
  RoleService,
  UserService,
} from '@gatehouse/identity';
import { ANY_USER, type Grantee, GrantorAccess, isDeny, type PermissionRule } from '@gatehouse/rbac';
import type { EscalationTarget, HandedOut } from '../../http/escalation.decorator';
import { Problem } from '../../http/problem';

const describe = (p: PermissionRule) =>
  `{${p.context}, ${p.resource}, ${p.operation}${p.effect === 'deny' ? ', deny' : ''}${
    p.maxQos !== undefined && p.maxQos !== null ? `, maxQos ${p.maxQos}` : ''
  }${p.retain === false ? ', retain false' : ''}}`;

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
  /** The body's `version` (a valid version number), on the routes that hand out a role version's permissions. */
  readonly version?: number;
  /** The body's `externalGroups` (a role's directory groups), when present. */
  readonly externalGroups?: readonly string[];
}

/** One check, resolved against the current state: who receives, and what is new for them. */
interface Resolved {
  readonly grantee: Grantee;
  readonly permissions: readonly PermissionRule[];
  readonly roleIds: readonly string[];
  /** Denies the change takes away (SPEC 1.4.6): handing out what they blocked (ADR 0019). */
  readonly removedDenies: readonly PermissionRule[];
  /** The grantee's rules after the change; `complete` for a user (a role's members hold more). */
  readonly after: { readonly rules: readonly PermissionRule[]; readonly complete: boolean };
  /** Set when the route acts on a user's account or credentials: that user. */
  readonly controlOf?: { readonly id: string; readonly username: string };
}

const NOTHING_AFTER = { rules: [], complete: false } as const;

/**
 * No privilege escalation (SPEC 2.2, ADR 0004, 0018): whoever hands out permissions (directly, through
 * a role, or by assigning a role), or takes away a deny, must hold what that gives, compared as
 * effective access (each side's own `${username}`, denies and QoS/retain limits, see `GrantorAccess`);
 * and whoever acts on another user's account or credentials must hold every effective permission of
 * that user. Called only by the `EscalationGuard`, from what a route declares with `@HandsOut`.
 */
@Injectable()
export class EscalationService {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UserService,
    private readonly roles: RoleService,
    private readonly approvals: ApprovalService,
    private readonly history: RoleHistoryService,
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
    if (
      resolved.permissions.length === 0 &&
      resolved.roleIds.length === 0 &&
      resolved.removedDenies.length === 0 &&
      target === undefined
    ) {
      return;
    }
    const grantor = GrantorAccess.of(await this.auth.effectiveRules(session.userId), session.username);

    if (target !== undefined) {
      const held = await this.auth.effectiveRules(target.id);
      const missing = grantor.firstEscalation(
        { added: held, after: held, afterIsComplete: true },
        { username: target.username },
      );
      if (missing) {
        throw forbidden(`this user holds ${describe(missing.rule)}, which you do not hold`);
      }
    }
    const change = { after: resolved.after.rules, afterIsComplete: resolved.after.complete };
    const missing = grantor.firstEscalation({ ...change, added: resolved.permissions }, resolved.grantee);
    if (missing) throw forbidden(`you cannot hand out ${describe(missing.rule)}: you do not hold it`);
    if (resolved.roleIds.length > 0) {
      for (const role of await this.roles.getMany(resolved.roleIds)) {
        const notHeld = grantor.firstEscalation({ ...change, added: role.permissions }, resolved.grantee);
        if (notHeld) {
          throw forbidden(`you cannot assign role "${role.name}": you do not hold ${describe(notHeld.rule)}`);
        }
      }
    }
    const lifted = grantor.firstEscalation(
      { ...change, added: [], removedDenies: resolved.removedDenies },
      resolved.grantee,
    );
    if (lifted) {
      throw forbidden(
        `you cannot remove the deny ${describe(lifted.rule)}: it blocks access you do not hold`,
      );
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
          removedDenies: [],
          after: await this.userRulesAfter(permissions, roleIds),
        };
      case 'new-role':
        return {
          grantee: ANY_USER,
          permissions,
          roleIds: [],
          removedDenies: [],
          after: { rules: permissions, complete: false },
        };
      case 'user':
        return this.resolveUser(requireId(r), what, r);
      case 'role': {
        const role = await this.roles.get(requireId(r));
        if (what.has('denies-of-role')) {
          // deleting the role lifts its denies from every member
          return {
            grantee: ANY_USER,
            permissions: [],
            roleIds: [],
            removedDenies: role.permissions.filter(isDeny),
            after: NOTHING_AFTER,
          };
        }
        // a rollback hands out what a PATCH sending the restored version's permissions would (ADR 0021)
        const restores = what.has('permissions-of-version');
        const proposed = restores
          ? (await this.history.get(role.id, requireVersion(r))).permissions
          : r.permissions;
        const next = proposed ?? role.permissions;
        // ADR 0024: a group the role lacks hands the whole role (as it will be) to that group's members
        const had = new Set(role.externalGroups.map((g) => g.trim().toLowerCase()));
        const addsGroups =
          what.has('external-groups') &&
          (r.externalGroups ?? []).some((g) => g.trim() !== '' && !had.has(g.trim().toLowerCase()));
        return {
          grantee: ANY_USER,
          permissions: addsGroups ? next : addedPermissions(role.permissions, restores ? next : permissions),
          roleIds: [],
          removedDenies: proposed ? addedPermissions(next, role.permissions.filter(isDeny)) : [],
          after: { rules: next, complete: false },
        };
      }
      case 'registration-request': {
        const request = await this.approvals.get(requireId(r));
        return {
          grantee: { username: request.username },
          permissions,
          roleIds,
          removedDenies: [],
          after: await this.userRulesAfter(permissions, roleIds),
        };
      }
      case 'policy':
        // checked inside the apply, against the state it locks (PolicyEscalation, ADR 0028)
        throw new Error('a policy document is not checked by the escalation guard');
    }
  }

  /**
   * A user's change: the direct permissions and roles it adds, the denies it takes away (direct ones
   * and those of roles it unassigns), and the user's rules afterwards (complete: direct ∪ roles).
   */
  private async resolveUser(
    id: string,
    what: ReadonlySet<HandedOut>,
    r: EscalationRequest,
  ): Promise<Resolved> {
    const user = await this.users.get(id);
    const controlOf = what.has('credentials-of-target-user') ? { controlOf: user } : {};
    const nextDirect = what.has('permissions') && r.permissions ? r.permissions : user.permissions;
    const nextRoles = what.has('roles') && r.roles ? r.roles : user.roles;
    const changes = nextDirect !== user.permissions || nextRoles !== user.roles;
    if (!changes) {
      return {
        grantee: { username: user.username },
        permissions: [],
        roleIds: [],
        removedDenies: [],
        after: NOTHING_AFTER,
        ...controlOf,
      };
    }
    const unassigned = user.roles.filter((roleId) => !nextRoles.includes(roleId));
    const roles = await this.roles.getMany([...new Set([...nextRoles, ...unassigned])]);
    const rolesAfter = roles.filter((role) => nextRoles.includes(role.id));
    const removedDenies = [
      ...addedPermissions(nextDirect, user.permissions.filter(isDeny)),
      ...roles
        .filter((role) => unassigned.includes(role.id))
        .flatMap((role) => role.permissions.filter(isDeny)),
    ];
    return {
      grantee: { username: user.username },
      permissions: addedPermissions(user.permissions, nextDirect),
      roleIds: nextRoles.filter((roleId) => !user.roles.includes(roleId)),
      removedDenies,
      after: { rules: [...nextDirect, ...rolesAfter.flatMap((role) => role.permissions)], complete: true },
      ...controlOf,
    };
  }

  /** A new user's rules: its direct permissions and those of its roles (nothing else). */
  private async userRulesAfter(
    permissions: readonly PermissionRule[],
    roleIds: readonly string[],
  ): Promise<Resolved['after']> {
    const roles = roleIds.length > 0 ? await this.roles.getMany(roleIds) : [];
    return { rules: [...permissions, ...roles.flatMap((role) => role.permissions)], complete: true };
  }
}

const forbidden = (detail: string) => new Problem(HttpStatus.FORBIDDEN, 'AUTH.ESCALATION', detail);

function requireVersion(r: EscalationRequest): number {
  if (r.version === undefined) throw new Error('role version declared on a route without a body version');
  return r.version;
}

function requireId(r: EscalationRequest): string {
  if (r.targetId === undefined) throw new Error('escalation target declared on a route without :id');
  return r.targetId;
}

/** The elements of `next` that are not in `current` (by context, resource, operation, effect, limits). */
export function addedPermissions<T extends PermissionRule>(
  current: readonly PermissionRule[],
  next: readonly T[],
): T[] {
  const have = new Set(current.map(permissionKey));
  return next.filter((p) => !have.has(permissionKey(p)));
}
