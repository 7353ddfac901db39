import { HttpStatus, Injectable } from '@nestjs/common';
import { permissionKey } from '@gatehouse/contracts';
import type { PermissionInput, PolicyPlan } from '@gatehouse/identity';
import {
  ANY_USER,
  type Escalation,
  type GrantChange,
  type Grantee,
  GrantorAccess,
  isDeny,
  type PermissionRule,
  USERNAME_PLACEHOLDER,
} from '@gatehouse/rbac';
import { Problem } from '../../http/problem';
import { addedPermissions } from '../shared/escalation.service';

const describe = (p: PermissionRule) =>
  `{${p.context}, ${p.resource}, ${p.operation}${p.effect === 'deny' ? ', deny' : ''}${
    p.maxQos !== undefined && p.maxQos !== null ? `, maxQos ${p.maxQos}` : ''
  }${p.retain === false ? ', retain false' : ''}}`;

const forbidden = (detail: string) => new Problem(HttpStatus.FORBIDDEN, 'AUTH.ESCALATION', detail);

/**
 * No privilege escalation for a whole document (SPEC 2.2, ADR 0004, 0018, 0028): what the role and user
 * routes check one request at a time, checked for every role and user the plan changes, with the same
 * rbac functions (`GrantorAccess.firstEscalation`) over the caller's effective rules as they are before
 * the apply. Each distinct change (its rules, and the grantee only where `${username}` makes it matter)
 * is checked once, not once per user. Runs under the apply's lock, before anything is written.
 */
@Injectable()
export class PolicyEscalation {
  /** @throws Problem 403 `AUTH.ESCALATION` naming the first rule, role or user refused */
  assertAllowed(plan: PolicyPlan): void {
    const grantor = GrantorAccess.of(plan.callerRules, plan.callerUsername);
    const cache = new Map<string, Escalation | undefined>();
    const check = (change: GrantChange, grantee: Grantee): Escalation | undefined => {
      const key = changeKey(change, grantee);
      if (cache.has(key)) return cache.get(key);
      const found = grantor.firstEscalation(change, grantee);
      cache.set(key, found);
      return found;
    };
    const callerId = plan.callerId;

    for (const role of plan.roles.created) {
      const found = check({ added: role.permissions, after: role.permissions }, ANY_USER);
      if (found) throw forbidden(`role "${role.name}": ${refusal(found)}`);
    }
    for (const c of plan.roles.changed) {
      const next = c.next.permissions;
      const had = new Set(c.current.externalGroups.map((g) => g.toLowerCase()));
      // ADR 0024: a new directory group hands the whole role to that group's members
      const addsGroups = c.next.externalGroups.some((g) => !had.has(g.toLowerCase()));
      const found = check(
        {
          added: addsGroups ? next : addedPermissions(c.current.permissions, next),
          removedDenies: addedPermissions(next, c.current.permissions.filter(isDeny)),
          after: next,
        },
        ANY_USER,
      );
      if (found) throw forbidden(`role "${c.next.name}": ${refusal(found)}`);
    }
    for (const role of plan.roles.deleted) {
      const found = check({ added: [], removedDenies: role.permissions.filter(isDeny), after: [] }, ANY_USER);
      if (found) throw forbidden(`deleting role "${role.name}": ${refusal(found)}`);
    }

    const rolesAfter = plan.rolePermissionsAfter;
    const rolesBefore = plan.rolesBefore;
    const takeover = (userId: string, username: string) => {
      if (userId === callerId) return;
      const held = plan.effectiveBefore.get(userId) ?? [];
      const found = check({ added: held, after: held, afterIsComplete: true }, { username });
      if (found) throw forbidden(`user "${username}" holds ${describe(found.rule)}, which you do not hold`);
    };
    const grants = (
      username: string,
      direct: { added: PermissionInput[]; removedDenies: PermissionInput[] },
      rolesAdded: readonly string[],
      rolesRemoved: readonly string[],
      after: PermissionInput[],
    ) => {
      const grantee = { username };
      const base = { after, afterIsComplete: true };
      const found = check({ ...base, added: direct.added, removedDenies: direct.removedDenies }, grantee);
      if (found) throw forbidden(`user "${username}": ${refusal(found)}`);
      for (const name of rolesAdded) {
        const notHeld = check({ ...base, added: rolesAfter.get(name) ?? [] }, grantee);
        if (notHeld)
          throw forbidden(
            `you cannot assign role "${name}" to "${username}": you do not hold ${describe(notHeld.rule)}`,
          );
      }
      for (const name of rolesRemoved) {
        const denies = (rolesBefore.get(name)?.permissions ?? []).filter(isDeny);
        const lifted = check({ ...base, added: [], removedDenies: denies }, grantee);
        if (lifted) throw forbidden(`unassigning role "${name}" from "${username}": ${refusal(lifted)}`);
      }
    };

    for (const u of plan.users.created) {
      const after = [...u.permissions, ...u.roles.flatMap((n) => rolesAfter.get(n) ?? [])];
      grants(u.username, { added: u.permissions, removedDenies: [] }, u.roles, [], after);
    }
    for (const c of plan.users.changed) {
      takeover(c.current.id, c.current.username);
      const currentRoles = c.current.roleIds.map((id) => plan.roleNameById.get(id) ?? id);
      const after = [...c.next.permissions, ...c.next.roles.flatMap((n) => rolesAfter.get(n) ?? [])];
      grants(
        c.next.username,
        {
          added: addedPermissions(c.current.permissions, c.next.permissions),
          removedDenies: addedPermissions(c.next.permissions, c.current.permissions.filter(isDeny)),
        },
        c.next.roles.filter((r) => !currentRoles.includes(r)),
        currentRoles.filter((r) => !c.next.roles.includes(r)),
        after,
      );
    }
    for (const u of plan.users.deleted) takeover(u.id, u.username);
  }
}

function refusal(found: Escalation): string {
  return found.kind === 'allow'
    ? `you cannot hand out ${describe(found.rule)}: you do not hold it`
    : `you cannot remove the deny ${describe(found.rule)}: it blocks access you do not hold`;
}

const keys = (rules: readonly PermissionRule[] | undefined): string =>
  (rules ?? []).map(permissionKey).sort().join('\u0001');

/** The identity of a check: the rules, and the grantee only where a `${username}` makes it matter. */
function changeKey(change: GrantChange, grantee: Grantee): string {
  const rules = [...change.added, ...(change.removedDenies ?? []), ...change.after];
  const named = rules.some((r) => r.resource.includes(USERNAME_PLACEHOLDER));
  const who = !named ? '*' : grantee === ANY_USER ? '@any' : `u:${grantee.username}`;
  return `${who}\u0002${keys(change.added)}\u0002${keys(change.removedDenies)}\u0002${keys(change.after)}\u0002${change.afterIsComplete ? 1 : 0}`;
}
