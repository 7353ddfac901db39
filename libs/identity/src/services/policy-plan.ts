import {
  permissionKey,
  type PolicyApplyResult,
  type PolicyRoleChange,
  type PolicyUserChange,
  toPolicyPermission,
} from '@gatehouse/contracts';
import { IdentityError } from '../identity.error';
import type { PermissionInput } from '../identity.types';
import type { PolicyRoleRow, PolicyUserRow } from '../repositories/policy.repository';
import { dedupe, samePermissions } from './permission-store';
import { normalizeGroups } from './role.service';

/** A role as a document wants it (defaults applied). */
export interface PolicyRoleInput {
  name: string;
  description: string | null;
  permissions: PermissionInput[];
  externalGroups: string[];
}

/** A user as a document wants it (defaults applied). */
export interface PolicyUserInput {
  username: string;
  enabled: boolean;
  roles: string[];
  permissions: PermissionInput[];
}

export interface PolicyInput {
  roles: PolicyRoleInput[];
  users: PolicyUserInput[];
}

export interface ChangedRole {
  current: PolicyRoleRow;
  next: PolicyRoleInput;
  permissionsChanged: boolean;
  groupsChanged: boolean;
  descriptionChanged: boolean;
}

export interface ChangedUser {
  current: PolicyUserRow;
  next: PolicyUserInput;
  permissionsChanged: boolean;
  rolesChanged: boolean;
  enabledChanged: boolean;
}

/** An existing user whose effective access the apply changes (for the no-escalation rule, the gateways). */
export interface AffectedUser {
  user: PolicyUserRow;
  before: PermissionInput[];
  /** The effective rules afterwards; `null` when the user is deleted. */
  after: PermissionInput[] | null;
  enabledAfter: boolean;
}

/** What applying a document does, computed in memory from the locked state (ADR 0028). */
export interface PolicyPlan {
  roles: { created: PolicyRoleInput[]; changed: ChangedRole[]; deleted: PolicyRoleRow[] };
  users: { created: PolicyUserInput[]; changed: ChangedUser[]; deleted: PolicyUserRow[] };
  /** Every role as it is now, by name. */
  rolesBefore: ReadonlyMap<string, PolicyRoleRow>;
  /** Every role's permissions after the apply, by name (roles that remain or are created). */
  rolePermissionsAfter: ReadonlyMap<string, PermissionInput[]>;
  affected: AffectedUser[];
  /** Role names by id (the roles as they are now). */
  roleNameById: ReadonlyMap<string, string>;
  /** The effective rules now of each changed or deleted user, by id. */
  effectiveBefore: ReadonlyMap<string, PermissionInput[]>;
  /** The caller's effective rules now (the grantor's side of the no-escalation rule). */
  callerRules: PermissionInput[];
  callerId: string | null;
  callerUsername: string;
  /** The difference, as answered. */
  diff: Omit<PolicyApplyResult, 'revokes' | 'gateways' | 'applied'>;
}

const invalid = (message: string) => new IdentityError('IDENTITY.POLICY_INVALID', message);

/**
 * The plan of an apply: the document (the desired state) against the state read under the lock.
 * Without `prune` what the document does not name is kept; with it, roles (but the built-in ones) and
 * users it does not name are deleted. Refuses (nothing is applied) duplicate names, unknown roles, a
 * change of a built-in role's permissions, a username spelled otherwise than stored, removing or
 * disabling the caller, and leaving no enabled admin-capable user where there was one.
 */
export function planPolicy(
  input: PolicyInput,
  state: { roles: PolicyRoleRow[]; users: PolicyUserRow[] },
  opts: { prune: boolean; callerId: string | null },
): PolicyPlan {
  const rolesBefore = new Map(state.roles.map((r) => [r.name, r]));
  const roleNameById = new Map(state.roles.map((r) => [r.id, r.name]));
  const wantedRoles = new Map<string, PolicyRoleInput>();
  input.roles.forEach((r, i) => {
    if (wantedRoles.has(r.name)) throw invalid(`/roles/${i}/name: role "${r.name}" is named twice`);
    wantedRoles.set(r.name, {
      name: r.name,
      description: r.description,
      permissions: dedupe(r.permissions),
      externalGroups: normalizeGroups(r.externalGroups),
    });
  });

  const created: PolicyRoleInput[] = [];
  const changed: ChangedRole[] = [];
  for (const next of wantedRoles.values()) {
    const current = rolesBefore.get(next.name);
    if (!current) {
      created.push(next);
      continue;
    }
    const permissionsChanged = !samePermissions(current.permissions, next.permissions);
    if (current.builtIn && permissionsChanged)
      throw new IdentityError(
        'IDENTITY.BUILT_IN_ROLE',
        `built-in role "${current.name}" cannot have its permissions changed (the document gives it others)`,
      );
    const groupsChanged =
      lowerJoined(normalizeGroups(current.externalGroups)) !== lowerJoined(next.externalGroups);
    const descriptionChanged = (current.description ?? null) !== next.description;
    if (permissionsChanged || groupsChanged || descriptionChanged)
      changed.push({ current, next, permissionsChanged, groupsChanged, descriptionChanged });
  }
  const deletedRoles = opts.prune ? state.roles.filter((r) => !r.builtIn && !wantedRoles.has(r.name)) : [];
  const deletedRoleNames = new Set(deletedRoles.map((r) => r.name));
  const rolePermissionsAfter = new Map<string, PermissionInput[]>();
  for (const r of state.roles)
    if (!deletedRoleNames.has(r.name)) rolePermissionsAfter.set(r.name, r.permissions);
  for (const r of wantedRoles.values()) rolePermissionsAfter.set(r.name, r.permissions);
  const groupsAfter = new Map<string, string[]>();
  for (const r of state.roles) if (!deletedRoleNames.has(r.name)) groupsAfter.set(r.name, r.externalGroups);
  for (const r of wantedRoles.values()) groupsAfter.set(r.name, r.externalGroups);

  // users
  const usersByLower = new Map(state.users.map((u) => [u.username.toLowerCase(), u]));
  const seen = new Set<string>();
  const createdUsers: PolicyUserInput[] = [];
  const changedUsers: ChangedUser[] = [];
  const nextOf = new Map<string, PolicyUserInput>(); // by existing user id
  input.users.forEach((u, i) => {
    const lower = u.username.toLowerCase();
    if (seen.has(lower))
      throw invalid(
        `/users/${i}/username: user "${u.username}" is named twice (usernames are unique regardless of case)`,
      );
    seen.add(lower);
    const roles = [...new Set(u.roles)];
    for (const name of roles) {
      if (!rolePermissionsAfter.has(name))
        throw new IdentityError(
          'IDENTITY.UNKNOWN_ROLE',
          deletedRoleNames.has(name)
            ? `/users/${i}/roles: role "${name}" of user "${u.username}" is not in the document, and --prune deletes it`
            : `/users/${i}/roles: user "${u.username}" names role "${name}", which neither the document nor the server has`,
        );
    }
    const next: PolicyUserInput = {
      username: u.username,
      enabled: u.enabled,
      roles: roles.sort(),
      permissions: dedupe(u.permissions),
    };
    const current = usersByLower.get(lower);
    if (!current) {
      createdUsers.push(next);
      return;
    }
    if (current.username !== u.username)
      throw new IdentityError(
        'IDENTITY.USER_EXISTS',
        `/users/${i}/username: a user named "${current.username}" exists (usernames are unique regardless of case); the document says "${u.username}"`,
      );
    nextOf.set(current.id, next);
    const currentRoles = current.roleIds.map((id) => roleNameById.get(id) ?? id).sort();
    const permissionsChanged = !samePermissions(current.permissions, next.permissions);
    const rolesChanged = currentRoles.join('\n') !== next.roles.join('\n');
    const enabledChanged = current.enabled !== next.enabled;
    if (permissionsChanged || rolesChanged || enabledChanged)
      changedUsers.push({ current, next, permissionsChanged, rolesChanged, enabledChanged });
  });
  const deletedUsers = opts.prune ? state.users.filter((u) => !seen.has(u.username.toLowerCase())) : [];

  if (opts.callerId !== null) {
    const caller = state.users.find((u) => u.id === opts.callerId);
    if (deletedUsers.some((u) => u.id === opts.callerId))
      throw new IdentityError(
        'IDENTITY.POLICY_REMOVES_CALLER',
        `the document does not name you ("${caller?.username}") and --prune would delete your own account`,
      );
    if (caller && nextOf.get(caller.id)?.enabled === false)
      throw new IdentityError(
        'IDENTITY.POLICY_REMOVES_CALLER',
        `the document disables your own account ("${caller.username}")`,
      );
  }

  // effective access before and after, for every existing user (in memory)
  const groupRolesBefore = groupIndex(state.roles.map((r) => [r.name, r.externalGroups]));
  const groupRolesAfter = groupIndex([...groupsAfter]);
  const deletedIds = new Set(deletedUsers.map((u) => u.id));
  const affected: AffectedUser[] = [];
  let adminsBefore = 0;
  let adminsAfter = 0;
  let callerRules: PermissionInput[] = [];
  const rolePermissionsBefore = new Map(state.roles.map((r) => [r.name, r.permissions]));
  const effectiveBefore = new Map<string, PermissionInput[]>();
  const changedIds = new Set(changedUsers.map((c) => c.current.id));
  for (const user of state.users) {
    const currentRoles = user.roleIds.map((id) => roleNameById.get(id)).filter((n): n is string => !!n);
    const before = effective(
      user.permissions,
      currentRoles,
      user.externalGroups,
      rolePermissionsBefore,
      groupRolesBefore,
    );
    if (user.id === opts.callerId) callerRules = before;
    if (changedIds.has(user.id) || deletedIds.has(user.id)) effectiveBefore.set(user.id, before);
    if (adminCapable(user.enabled, before)) adminsBefore++;
    if (deletedIds.has(user.id)) {
      affected.push({ user, before, after: null, enabledAfter: false });
      continue;
    }
    const next = nextOf.get(user.id);
    const direct = next ? next.permissions : user.permissions;
    const roles = next ? next.roles : currentRoles.filter((n) => !deletedRoleNames.has(n));
    const enabled = next ? next.enabled : user.enabled;
    const after = effective(direct, roles, user.externalGroups, rolePermissionsAfter, groupRolesAfter);
    if (adminCapable(enabled, after)) adminsAfter++;
    if (enabled !== user.enabled || !samePermissions(before, after))
      affected.push({ user, before, after, enabledAfter: enabled });
  }
  for (const u of createdUsers) {
    const after = effective(u.permissions, u.roles, null, rolePermissionsAfter, groupRolesAfter);
    if (adminCapable(u.enabled, after)) adminsAfter++;
  }
  if (adminsBefore > 0 && adminsAfter === 0)
    throw new IdentityError(
      'IDENTITY.LAST_ADMIN',
      'after this document no enabled user would hold {http, /#, readWrite} without an http deny: nobody could administer Gatehouse',
    );

  const diff: PolicyPlan['diff'] = {
    roles: {
      created: created.map((r) => r.name).sort(),
      changed: changed.map(roleChange).sort((a, b) => cmp(a.name, b.name)),
      deleted: deletedRoles.map((r) => r.name).sort(),
    },
    users: {
      created: createdUsers.map((u) => u.username).sort(),
      changed: changedUsers
        .map((c) => userChange(c, roleNameById))
        .sort((a, b) => cmp(a.username, b.username)),
      deleted: deletedUsers.map((u) => u.username).sort(),
    },
  };
  return {
    roles: { created, changed, deleted: deletedRoles },
    users: { created: createdUsers, changed: changedUsers, deleted: deletedUsers },
    rolesBefore,
    rolePermissionsAfter,
    affected,
    roleNameById,
    effectiveBefore,
    callerRules,
    callerId: opts.callerId,
    callerUsername: state.users.find((u) => u.id === opts.callerId)?.username ?? '',
    diff,
  };
}

/** Whether a plan changes nothing. */
export function isEmptyPlan(plan: PolicyPlan): boolean {
  const { roles, users } = plan;
  return (
    roles.created.length + roles.changed.length + roles.deleted.length === 0 &&
    users.created.length + users.changed.length + users.deleted.length === 0
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const lowerJoined = (groups: readonly string[]): string => groups.map((g) => g.toLowerCase()).join('\n');

/** lower-case group → the names of the roles it confers. */
function groupIndex(entries: readonly (readonly [string, readonly string[]])[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, groups] of entries) {
    for (const g of groups) {
      const k = g.trim().toLowerCase();
      const list = out.get(k);
      if (list) list.push(name);
      else out.set(k, [name]);
    }
  }
  return out;
}

/** Direct ∪ assigned roles' ∪ directory-group roles' permissions (SPEC 1.3, 2.1a), de-duplicated. */
function effective(
  direct: readonly PermissionInput[],
  roles: readonly string[],
  externalGroups: readonly string[] | null,
  rolePermissions: ReadonlyMap<string, readonly PermissionInput[]>,
  groupRoles: ReadonlyMap<string, readonly string[]>,
): PermissionInput[] {
  const names = new Set(roles);
  for (const g of externalGroups ?? []) for (const name of groupRoles.get(g) ?? []) names.add(name);
  const all: PermissionInput[] = [...direct];
  for (const name of names) all.push(...(rolePermissions.get(name) ?? []));
  return dedupe(all);
}

/** Enabled, holds {http, /#, readWrite} as an allow without limits, and no http deny (ADR 0028). */
function adminCapable(enabled: boolean, rules: readonly PermissionInput[]): boolean {
  return (
    enabled &&
    rules.some(
      (r) =>
        r.context === 'http' && r.resource === '/#' && r.operation === 'readWrite' && r.effect !== 'deny',
    ) &&
    !rules.some((r) => r.context === 'http' && r.effect === 'deny')
  );
}

function added(current: readonly PermissionInput[], next: readonly PermissionInput[]): PermissionInput[] {
  const have = new Set(current.map(permissionKey));
  return next.filter((p) => !have.has(permissionKey(p)));
}

function groupsDiff(current: readonly string[], next: readonly string[]): [string[], string[]] {
  const had = new Set(current.map((g) => g.toLowerCase()));
  const has = new Set(next.map((g) => g.toLowerCase()));
  return [next.filter((g) => !had.has(g.toLowerCase())), current.filter((g) => !has.has(g.toLowerCase()))];
}

function roleChange(c: ChangedRole): PolicyRoleChange {
  const [groupsAdded, groupsRemoved] = groupsDiff(c.current.externalGroups, c.next.externalGroups);
  return {
    name: c.next.name,
    permissionsAdded: added(c.current.permissions, c.next.permissions).map(toPolicyPermission),
    permissionsRemoved: added(c.next.permissions, c.current.permissions).map(toPolicyPermission),
    externalGroupsAdded: groupsAdded,
    externalGroupsRemoved: groupsRemoved,
    ...(c.descriptionChanged
      ? { description: { before: c.current.description ?? null, after: c.next.description } }
      : {}),
  };
}

function userChange(c: ChangedUser, roleNameById: ReadonlyMap<string, string>): PolicyUserChange {
  const currentRoles = c.current.roleIds.map((id) => roleNameById.get(id) ?? id);
  return {
    username: c.next.username,
    permissionsAdded: added(c.current.permissions, c.next.permissions).map(toPolicyPermission),
    permissionsRemoved: added(c.next.permissions, c.current.permissions).map(toPolicyPermission),
    rolesAdded: c.next.roles.filter((r) => !currentRoles.includes(r)),
    rolesRemoved: currentRoles.filter((r) => !c.next.roles.includes(r)).sort(),
    ...(c.enabledChanged ? { enabled: { before: c.current.enabled, after: c.next.enabled } } : {}),
  };
}
